import { describe, expect, it } from 'vitest';
import { fieldOf, lineAt, parseDeb822 } from '../../../../domain/formats/deb/deb822';
import { errorOf } from '../../../helpers/kiln-error';

describe('parseDeb822', () => {
  it('reads paragraphs, continuation lines, " ." lines and comments', () => {
    const text = [
      '# leading comment',
      'Source: foo',
      'Build-Depends: a,',
      '# a comment between continuation lines',
      ' b',
      '',
      '',
      'Package: foo',
      'Description: short',
      ' first line',
      ' .',
      '  verbatim',
      '',
    ].join('\n');
    const [source, binary, ...rest] = parseDeb822(text);
    expect(rest).toEqual([]);
    expect(source.line).toBe(2);
    expect(fieldOf(source, 'source')?.value).toBe('foo');
    const bd = fieldOf(source, 'BUILD-DEPENDS');
    expect(bd?.name).toBe('Build-Depends');
    expect(bd?.value).toBe('a,\nb');
    expect(bd?.lines).toEqual([3, 5]);
    expect(binary.line).toBe(8);
    expect(fieldOf(binary, 'Description')?.value).toBe('short\nfirst line\n\n verbatim');
  });

  it('maps offsets in a value back to file lines', () => {
    const [p] = parseDeb822('Source: x\nBuild-Depends:\n one,\n two\n');
    const field = fieldOf(p, 'Build-Depends')!;
    expect(field.value).toBe('\none,\ntwo');
    expect(lineAt(field, field.value.indexOf('two'))).toBe(4);
    expect(lineAt(field, field.value.indexOf('one'))).toBe(3);
  });

  it('accepts CRLF line ends, a BOM and whitespace-only separator lines', () => {
    const paragraphs = parseDeb822('\uFEFFSource: x\r\nMaintainer: m\r\n \t\r\nPackage: y\r\n');
    expect(paragraphs.map((p) => [...p.fields.keys()])).toEqual([['source', 'maintainer'], ['package']]);
    expect(fieldOf(paragraphs[0], 'Maintainer')?.value).toBe('m');
  });

  it('returns nothing for an empty or comment-only file', () => {
    expect(parseDeb822('')).toEqual([]);
    expect(parseDeb822('# only\n\n')).toEqual([]);
  });

  it.each([
    [' continued\nSource: x', 1, 'continuation line without a field'],
    ['Source: x\n\n continued', 3, 'continuation line without a field'],
    ['Source: x\nthis line has no colon', 2, 'expected "Field: value"'],
    ['Source: x\n: value', 2, 'field name is empty'],
    ['Source: x\nBad Name: value', 2, 'invalid field name "Bad Name"'],
    ['Source: x\n-Dash: value', 2, 'invalid field name "-Dash"'],
    ['Source: x\nsource: y', 2, 'duplicate field source (first at line 1)'],
  ])('refuses %j at line %i', (text, line, message) => {
    const e = errorOf(() => parseDeb822(text));
    expect(e.code).toBe('RECIPE_INVALID');
    expect(e.message).toContain(`line ${line}:`);
    expect(e.message).toContain(message);
  });
});
