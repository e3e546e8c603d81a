// The web UI's one script (served at a content-hashed URL, see assets.ts): pages work without it; with it, the push
// grid follows /ui/events/pushes/... and a build log follows the API's log stream (Server-Sent Events), in place.
// Plain ES2017 for any current browser; kept as a (raw) string so that the compiled server carries it. No `${` inside.
export const CLIENT_JS = String.raw`'use strict';
(function () {
  var TONES = { waiting: 'idle', building: 'active', succeeded: 'ok', failed: 'bad', cancelled: 'idle', blocked: 'warn' };
  var COUNT_ORDER = ['succeeded', 'building', 'waiting', 'failed', 'blocked', 'cancelled'];
  var ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

  function duration(ms) {
    if (!(ms >= 0)) return '';
    var s = Math.floor(ms / 1000);
    if (s < 1) return '<1s';
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }

  function countsText(counts) {
    var parts = [];
    COUNT_ORDER.forEach(function (state) { if (counts[state]) parts.push(counts[state] + ' ' + state); });
    return counts.total + (counts.total === 1 ? ' build' : ' builds') + (parts.length ? ': ' + parts.join(', ') : '');
  }

  /** Reload for what only the server lays out (new rows, failures first, buttons); at most once every 3 s. */
  function reload() {
    try {
      var last = Number(sessionStorage.getItem('kiln-reload') || 0);
      if (Date.now() - last < 3000) return false;
      sessionStorage.setItem('kiln-reload', String(Date.now()));
    } catch (e) {
      return false; // no storage: no guard against a reload loop, so no reload
    }
    location.reload();
    return true;
  }

  function setStatus(el, text) { if (el) el.textContent = text; }

  function followPush(root) {
    var status = document.querySelector('[data-live-status]');
    var source = new EventSource(root.getAttribute('data-live-push'));
    setStatus(status, 'Live: updates as the push runs.');
    source.addEventListener('push', function (event) { applyPush(root, JSON.parse(event.data)); });
    source.addEventListener('end', function () { source.close(); setStatus(status, 'The push has ended.'); });
    source.onerror = function () { if (source.readyState === EventSource.CLOSED) setStatus(status, 'Live updates stopped: reload the page.'); };
  }

  function applyPush(root, push) {
    var cells = {};
    Array.prototype.forEach.call(root.querySelectorAll('[data-build]'), function (cell) { cells[cell.getAttribute('data-build')] = cell; });
    var builds = push.builds || [];
    var same = builds.length === Object.keys(cells).length && builds.every(function (b) {
      var cell = cells[b.source + '/' + b.arch];
      return cell && (cell.getAttribute('data-state') === 'failed') === (b.state === 'failed');
    });
    if (!same || push.state !== root.getAttribute('data-push-state') || String(push.running) !== root.getAttribute('data-running')) {
      if (reload()) return;
    }
    builds.forEach(function (b) {
      var cell = cells[b.source + '/' + b.arch];
      if (!cell) return;
      cell.setAttribute('data-state', b.state);
      cell.className = 'cell tone-' + (TONES[b.state] || 'idle');
      var label = cell.querySelector('.cell-state');
      if (label) label.textContent = b.state + (b.attempt > 1 ? ' (attempt ' + b.attempt + ')' : '');
      var time = cell.querySelector('.cell-time');
      if (time) {
        if (b.startedAt !== undefined) time.setAttribute('data-started', String(b.startedAt)); else time.removeAttribute('data-started');
        if (b.finishedAt !== undefined) time.setAttribute('data-finished', String(b.finishedAt)); else time.removeAttribute('data-finished');
        time.textContent = b.startedAt === undefined ? '' : duration((b.finishedAt === undefined ? Date.now() : b.finishedAt) - b.startedAt);
      }
    });
    var counts = document.querySelector('[data-push-counts]');
    if (counts && push.buildCounts) counts.textContent = countsText(push.buildCounts);
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-state="building"] .cell-time[data-started]'), function (time) {
      if (!time.hasAttribute('data-finished')) time.textContent = duration(Date.now() - Number(time.getAttribute('data-started')));
    });
  }

  function followLog(log) {
    var status = document.querySelector('[data-log-status]');
    var source = new EventSource(log.getAttribute('data-follow-url'));
    var first = true;
    setStatus(status, 'Following the log as the build writes it.');
    source.addEventListener('log', function (event) {
      var chunk = JSON.parse(event.data);
      var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
      if (first) { log.textContent = ''; first = false; }
      log.appendChild(document.createTextNode(chunk.text.replace(ANSI, '')));
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener('end', function (event) {
      source.close();
      var end = JSON.parse(event.data);
      log.setAttribute('data-ended', end.state);
      setStatus(status, 'The build is ' + end.state + '; the log is complete.');
    });
    source.onerror = function () { if (source.readyState === EventSource.CLOSED) setStatus(status, 'Live follow stopped: reload the page.'); };
  }

  document.addEventListener('DOMContentLoaded', function () {
    var push = document.querySelector('[data-live-push]');
    if (push && window.EventSource) followPush(push);
    var log = document.querySelector('[data-testid="log"][data-follow-url]');
    if (log && window.EventSource) followLog(log);
    if (document.querySelector('.cell-time')) setInterval(tick, 1000);
  });
})();
`;
