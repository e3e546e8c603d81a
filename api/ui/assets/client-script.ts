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

  function setStatus(el, text) { if (el) el.textContent = text; }

  /**
   * Fetch this page again and swap the server's rendering of <main> into the page: what only the server lays out
   * (new rows, failures first, buttons, a push's publish result, a build's facts and error). Never a reload, which
   * would lose the scroll position and the focus. keep: an element that stays as it is (a followed log).
   */
  function swapMain(keep) {
    return fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (!res.ok) throw new Error('the page answered ' + res.status);
        return res.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById('main');
        var main = document.getElementById('main');
        if (!fresh || !main) throw new Error('no main content');
        var active = document.activeElement;
        var focused = active && main.contains(active) ? active.getAttribute('data-testid') : null;
        var scroll = keep ? keep.scrollTop : 0;
        main.innerHTML = fresh.innerHTML;
        var slot = keep && main.querySelector('[data-testid="' + keep.getAttribute('data-testid') + '"]');
        if (slot) {
          slot.parentNode.replaceChild(keep, slot);
          keep.scrollTop = scroll;
        }
        var again = focused && main.querySelector('[data-testid="' + focused + '"]');
        if (again) again.focus();
      });
  }

  // The live push page: what changes in place (a cell's state, attempt and time; the counts) is written into the
  // page, the rest is swapped in (swapMain), one fetch at a time; news arriving during a fetch is fetched again
  // after it, so the page always ends up at least as new as the stream, its last change included.
  var liveText = '';
  var refreshing = false;
  var refreshAgain = false;

  function followPush(root) {
    var source = new EventSource(root.getAttribute('data-live-push'));
    showLive('Live: updates as the push runs.');
    source.addEventListener('push', function (event) { onPush(JSON.parse(event.data)); });
    source.addEventListener('end', function () { source.close(); showLive('The push has ended.'); });
    source.onerror = function () { if (source.readyState === EventSource.CLOSED) showLive('Live updates stopped: reload the page.'); };
  }

  function showLive(text) {
    liveText = text;
    setStatus(document.querySelector('[data-live-status]'), text);
  }

  function onPush(push) {
    if (refreshing) { refreshAgain = true; return; }
    if (!applyPush(push)) refresh();
  }

  function refresh() {
    refreshing = true;
    refreshAgain = false;
    swapMain()
      .then(function () { setStatus(document.querySelector('[data-live-status]'), liveText); })
      // The page stays as it was; the next news tries again.
      .catch(function () { setStatus(document.querySelector('[data-live-status]'), 'Live updates failed: reload the page.'); })
      .then(function () {
        refreshing = false;
        if (refreshAgain) refresh();
      });
  }

  /** Write the push into the page; false when the page's layout no longer fits it (then it is fetched again). */
  function applyPush(push) {
    var root = document.querySelector('[data-push-state]');
    if (!root) return false;
    var cells = {};
    Array.prototype.forEach.call(root.querySelectorAll('[data-build]'), function (cell) { cells[cell.getAttribute('data-build')] = cell; });
    var builds = push.builds || [];
    var laidOut = function (state) { return state === 'failed' || state === 'blocked'; };
    var fits = builds.length === Object.keys(cells).length && builds.every(function (b) {
      var cell = cells[b.source + '/' + b.arch];
      // An install test's line is laid out by the server: a change of it fetches the page again.
      var test = cell && cell.querySelector('.cell-test');
      var testState = test ? test.getAttribute('data-test-state') : undefined;
      // ...and so does a note's (a build waiting for disk space) coming or going.
      var note = cell && cell.querySelector('.cell-note');
      return cell && laidOut(cell.getAttribute('data-state')) === laidOut(b.state) && testState === (b.installTest ? b.installTest.state : undefined)
        && (note ? note.textContent : undefined) === (b.note || undefined);
    }) && push.state === root.getAttribute('data-push-state') && String(push.running) === root.getAttribute('data-running');
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
    return fits;
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-state="building"] .cell-time[data-started]'), function (time) {
      if (!time.hasAttribute('data-finished')) time.textContent = duration(Date.now() - Number(time.getAttribute('data-started')));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-running-since]'), function (time) {
      time.textContent = duration(Date.now() - Number(time.getAttribute('data-running-since')));
    });
  }

  /** The build's state badge at the top of its log page; with from, only while the badge shows that state. */
  function showBuildState(state, from) {
    var badge = document.querySelector('[data-testid="build-state"]');
    if (!badge || (from && badge.textContent !== from)) return;
    badge.textContent = state;
    badge.className = 'state tone-' + (TONES[state] || 'idle');
  }

  // A build's log page: the log grows in place as the build writes it; the build's state shows as it changes, and
  // once it ended the page's facts (attempt, time, error) are swapped in around the log, which stays as it is.
  function followLog(log) {
    var statusText = 'Following the log as the build writes it.';
    var showStatus = function () { setStatus(document.querySelector('[data-log-status]'), statusText); };
    var source = new EventSource(log.getAttribute('data-follow-url'));
    var first = true;
    var started = false;
    // One swap after the other: the last one, fetched after the end, wins.
    var swapped = Promise.resolve();
    var swap = function () { swapped = swapped.then(function () { return swapMain(log); }).then(showStatus, function () {}); };
    showStatus();
    source.addEventListener('log', function (event) {
      var chunk = JSON.parse(event.data);
      var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
      if (first) { log.textContent = ''; first = false; }
      log.appendChild(document.createTextNode(chunk.text.replace(ANSI, '')));
      if (atEnd) log.scrollTop = log.scrollHeight;
      // Only a running build writes its log. A page opened before the push was planned has no badge yet.
      if (chunk.text && !started) {
        started = true;
        if (document.querySelector('[data-testid="build-state"]')) showBuildState('building', 'waiting');
        else swap();
      }
    });
    source.addEventListener('end', function (event) {
      source.close();
      var end = JSON.parse(event.data);
      log.setAttribute('data-ended', end.state);
      statusText = 'The build has ended (' + end.state + '); the log is complete.';
      if (TONES[end.state]) showBuildState(end.state);
      showStatus();
      swap();
    });
    source.onerror = function () {
      if (source.readyState !== EventSource.CLOSED) return;
      statusText = 'Live follow stopped: reload the page.';
      showStatus();
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    var push = document.querySelector('[data-live-push]');
    if (push && window.EventSource) followPush(push);
    var log = document.querySelector('[data-testid="log"][data-follow-url]');
    if (log && window.EventSource) followLog(log);
    if (push || document.querySelector('.cell-time')) setInterval(tick, 1000);
  });
})();
`;
