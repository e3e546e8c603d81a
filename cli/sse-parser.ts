// Server-Sent Events, parsed as the HTML standard says (https://html.spec.whatwg.org/#event-stream-interpretation):
// lines end in CRLF, LF or CR; `data` lines of one event join with LF; a blank line dispatches; comments (`:`) and
// unknown fields are ignored; an event without data is not dispatched; `id` persists across events. Pure: feed it
// decoded text in any chunking.

export interface SseEvent {
  /** `message` unless the event said otherwise. */
  event: string;
  data: string;
  /** The last event ID at dispatch (what `Last-Event-ID` resumes from). */
  id: string;
}

export class SseParser {
  /** The last `id` seen; sent back as `Last-Event-ID` on reconnecting. */
  lastEventId = '';
  /** The reconnection delay the stream asked for (`retry`), if it did. */
  retryMs?: number;
  private buffer = '';
  private started = false;
  /** The previous chunk ended in CR: a LF starting this one belongs to it. */
  private skipLf = false;
  private type = '';
  private data: string[] = [];

  /** The events completed by this chunk. */
  feed(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    if (text !== '') this.skipLf = false;
    if (!this.started && text !== '') {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.skipLf = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event = this.data.length === 0 ? undefined : { event: this.type || 'message', data: this.data.join('\n'), id: this.lastEventId };
    this.type = '';
    this.data = [];
    return event;
  }
}
