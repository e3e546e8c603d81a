import { describe, expect, it } from 'vitest';
import { SseParser } from '../../cli/sse-parser';

// The Server-Sent Events parser of `kiln logs --follow`: the standard's rules, in any chunking.

const parse = (...chunks: string[]) => {
  const parser = new SseParser();
  return { events: chunks.flatMap((c) => parser.feed(c)), parser };
};

describe('SseParser', () => {
  it('parses events with a type, data and id', () => {
    const { events, parser } = parse('retry: 3000\n\nid: 6\nevent: log\ndata: {"offset":0}\n\n');
    expect(events).toEqual([{ event: 'log', data: '{"offset":0}', id: '6' }]);
    expect(parser.retryMs).toBe(3000);
    expect(parser.lastEventId).toBe('6');
  });

  it('gives the same events whatever the chunks', () => {
    const text = 'id: 1\nevent: log\ndata: one\n\n: keep-alive\n\nevent: end\ndata: {"state":"failed"}\n\n';
    const whole = parse(text).events;
    expect(whole).toHaveLength(2);
    expect(parse(...text.split('')).events).toEqual(whole);
    for (let cut = 1; cut < text.length; cut++) expect(parse(text.slice(0, cut), text.slice(cut)).events).toEqual(whole);
  });

  it('ends lines with CRLF, LF or CR, even a CRLF split between chunks', () => {
    expect(parse('data: a\r\n\r\ndata: b\r\rdata: c\n\n').events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
    expect(parse('data: a\r', '\n', '\r', '\n').events).toEqual([{ event: 'message', data: 'a', id: '' }]);
  });

  it('joins data lines with LF, and takes one space after the colon only', () => {
    expect(parse('data:  two spaces\ndata:none\ndata\n\n').events[0].data).toBe(' two spaces\nnone\n');
  });

  it('ignores comments, unknown fields, events without data, and a bad retry', () => {
    const { events, parser } = parse(': comment\nfoo: bar\nretry: soon\n\nevent: nothing\n\ndata: x\n\n');
    expect(events).toEqual([{ event: 'message', data: 'x', id: '' }]);
    expect(parser.retryMs).toBeUndefined();
  });

  it('keeps the last id across events, and ignores an id with NUL', () => {
    const { events } = parse('id: 5\ndata: a\n\ndata: b\n\nid: 7\0\ndata: c\n\n');
    expect(events.map((e) => e.id)).toEqual(['5', '5', '5']);
  });

  it('drops a byte-order mark at the start only (later it makes an unknown field), and an unfinished event at the end', () => {
    const { events } = parse('\uFEFFdata: a\n\n\uFEFFdata: b\n\ndata: c\n\ndata: unfinished\n');
    expect(events.map((e) => e.data)).toEqual(['a', 'c']);
    expect(parse('\uFEFFdata: a\n\n').events[0]).toEqual({ event: 'message', data: 'a', id: '' });
  });
});
