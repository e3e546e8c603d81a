import { describe, expect, it } from 'vitest';
import { escapeHtml, html, trusted } from '../../../api/ui/html';
import { badgeSvg } from '../../../api/ui/badge';
import { safeNext } from '../../../api/ui/links';
import { shellQuote } from '../../../api/ui/install-commands';
import { CLIENT_JS } from '../../../api/ui/assets/client-script';

describe('escapeHtml and the html template', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('escapes every interpolated value, in content and in attributes', () => {
    const evil = '"><script>alert(1)</script><b x=\'';
    const out = html`<p title="${evil}">${evil}</p>`.toString();
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('"><');
    expect(out).toBe('<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b x=&#39;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b x=&#39;</p>');
  });

  it('keeps nested templates, flattens arrays, and renders nothing for null, undefined and booleans', () => {
    const items = ['<1>', '2'];
    expect(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.toString()).toBe('<ul><li>&lt;1&gt;</li><li>2</li></ul>');
    expect(html`${null}${undefined}${false}${true}${0}`.toString()).toBe('0');
  });

  it('does not trust a string that looks like markup, only SafeHtml', () => {
    expect(html`${'<b>x</b>'}`.toString()).toBe('&lt;b&gt;x&lt;/b&gt;');
    expect(html`${trusted('<b>x</b>')}`.toString()).toBe('<b>x</b>');
  });
});

describe('other escaping', () => {
  it('the badge escapes its text', () => {
    const svg = badgeSvg('kiln', '<x onload="1">', 'bad');
    expect(svg).not.toContain('<x ');
    expect(svg).toContain('&lt;x onload=&quot;1&quot;&gt;');
  });

  it('sign-in only returns to a path of this site', () => {
    expect(safeNext('/pushes?tree=ports')).toBe('/pushes?tree=ports');
    for (const bad of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', undefined, ['/x']]) {
      expect(safeNext(bad)).toBe('/');
    }
  });

  it('shell-quotes what needs it', () => {
    expect(shellQuote('http://h:8080/repos/ports/release%2F1.x/x.gpg')).toBe('http://h:8080/repos/ports/release%2F1.x/x.gpg');
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
    expect(shellQuote('http://h/?a=1&b=$(id)')).toBe(`'http://h/?a=1&b=$(id)'`);
  });
});

describe('the client script', () => {
  it('is valid JavaScript', () => {
    expect(() => new Function(CLIENT_JS)).not.toThrow();
  });
});
