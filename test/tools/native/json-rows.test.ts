import { describe, expect, it } from 'vitest';

import { JsonRowSplitter } from '../../../src/tools/crtsh/json-rows.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';

/** Feeds `text` in pieces of `size` characters and collects every row. */
function split(text: string, size: number): unknown[] {
  const splitter = new JsonRowSplitter();
  const rows: unknown[] = [];
  for (let i = 0; i < text.length; i += size) rows.push(...splitter.push(text.slice(i, i + size)));
  splitter.end();
  return rows;
}

describe('JsonRowSplitter', () => {
  const sample =
    '[{"id":1,"name_value":"a.example.com\\nb.example.com","issuer_name":"O=\\"x, {Inc.}\\""},' +
    '{"id":2,"nested":{"list":[1,{"k":"]"}]},"name_value":"c.example.com"}]';

  it('gives the rows of an array however the text is cut', () => {
    const whole = JSON.parse(sample) as unknown[];
    for (const size of [1, 2, 3, 7, 50, sample.length]) expect(split(sample, size)).toEqual(whole);
  });

  it('reads concatenated objects and whitespace between them', () => {
    expect(split(' {"id":1}\n{"id":2} ', 3)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(split('[ ]\n', 1)).toEqual([]);
  });

  it.skipIf(!haveFixtures)('reads a recorded answer like JSON.parse does', () => {
    const text = readFixture('crtsh/crtsh_2024_gctu_edu_gh_result_count.json');
    expect(split(text, 4096)).toEqual(JSON.parse(text));
  });

  it('refuses what is not a crt.sh answer', () => {
    expect(() => split('<html>error</html>', 10)).toThrow(SyntaxError);
    expect(() => split('"text"', 10)).toThrow(SyntaxError);
    expect(() => split('[1,2]', 10)).toThrow(SyntaxError);
    expect(() => split('[{"id":1}] x', 10)).toThrow(SyntaxError);
    expect(() => split('', 10)).toThrow('the answer is empty');
  });

  it('refuses an answer that stops inside a row or before the array closes', () => {
    expect(() => split('[{"id":1},{"id":', 4)).toThrow('ends in the middle');
    expect(() => split('[{"id":1}', 4)).toThrow('ends in the middle');
    expect(() => split('[{"id":"a}', 4)).toThrow('ends in the middle');
  });
});
