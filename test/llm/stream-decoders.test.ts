import { describe, expect, it } from 'vitest';

import { LineSplitter, SseDecoder, type SseEvent } from '../../src/llm/stream-decoders.js';

/** Feeds `text` cut at `cuts`, collecting everything produced. */
function splitLines(text: string, cuts: number[]): string[] {
  const splitter = new LineSplitter();
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...splitter.push(text.slice(from, cut)));
    from = cut;
  }
  return [...out, ...splitter.end()];
}

function decodeSse(text: string, cuts: number[]): SseEvent[] {
  const decoder = new SseDecoder();
  const out: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...decoder.push(text.slice(from, cut)));
    from = cut;
  }
  return [...out, ...decoder.end()];
}

describe('LineSplitter', () => {
  it('gives the same lines wherever the text is cut', () => {
    const text = '{"a":1}\n{"b":"x y"}\r\n\r{"c":3}';
    const expected = ['{"a":1}', '{"b":"x y"}', '', '{"c":3}'];
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        expect(splitLines(text, [i, j])).toEqual(expected);
      }
    }
  });

  it('does not invent an empty line for a CRLF cut between CR and LF', () => {
    expect(splitLines('a\r\nb\n', [2])).toEqual(['a', 'b']);
  });
});

describe('SseDecoder', () => {
  const stream =
    '\uFEFF: comment\r\n\r\n' +
    'data: {"n":1}\r\n\r\n' +
    'event: ping\ndata:{"n":2}\n\n' +
    'data: {"n":\ndata: 3}\n\n' +
    'data: \n\n' +
    'error: {"code":500}\n\n' +
    'data: [DONE]';

  const expected: SseEvent[] = [
    { event: 'message', data: '{"n":1}' },
    { event: 'ping', data: '{"n":2}' },
    { event: 'message', data: '{"n":\n3}' },
    { event: 'message', data: '' },
    { event: 'error', data: '{"code":500}' },
    { event: 'message', data: '[DONE]' },
  ];

  it('decodes comments, fields, multi-line data and a final event without a blank line', () => {
    expect(decodeSse(stream, [])).toEqual(expected);
  });

  it('gives the same events wherever the stream is cut', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(decodeSse(stream, [i])).toEqual(expected);
    }
  });
});
