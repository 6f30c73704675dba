import { describe, expect, it } from 'vitest';

import { ParseError } from '../../src/findings/parse-error.js';
import { parseSearxng, searxngFindingsFromJson } from '../../src/tools/searxng/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';

describe('SearXNG answers', () => {
  it('gives one URL per result with title, snippet and engines of all its duplicates', () => {
    const answer = {
      query: 'acme',
      results: [
        {
          url: ' https://acme.example/about ',
          title: 'About ACME',
          content: 'ACME makes everything.',
          engines: ['bing', 'google'],
          engine: 'bing',
          thumbnail: 'data:image/jpeg;base64,AAAA',
          publishedDate: null,
          score: 2.5,
          category: 'general',
        },
        { url: 'https://acme.example/about', title: 'duplicate', engines: ['brave'] },
        { title: 'no url' },
      ],
      unresponsive_engines: [['brave', 'too many requests']],
    };
    expect(searxngFindingsFromJson(answer)).toEqual([
      {
        kind: 'URL',
        value: 'https://acme.example/about',
        data: {
          title: 'About ACME',
          content: 'ACME makes everything.',
          engines: ['bing', 'google', 'brave'],
          category: 'general',
          score: 2.5,
        },
      },
    ]);
  });

  it('reads an answer without number_of_results and with no results', () => {
    expect(
      parseSearxng('{"query":"x","results":[],"answers":[],"unresponsive_engines":[]}'),
    ).toEqual([]);
  });

  it.skipIf(!haveFixtures)('keeps data: thumbnails out of the detail', () => {
    const findings = parseSearxng(
      readFixture('searxng/searxng_pretty_number_of_results_data_uri_thumbnails.json'),
    );
    expect(findings).toHaveLength(3);
    expect(JSON.stringify(findings)).not.toContain('data:image');
  });

  it('refuses error answers, HTML pages and garbage with a one-line reason', () => {
    expect(() => parseSearxng('{"error": "No query"}')).toThrow(
      'SearXNG answered with an error: No query',
    );
    expect(() => parseSearxng('<!doctype html>\n<title>403 Forbidden</title>')).toThrow(
      /HTML page/,
    );
    expect(() => parseSearxng('{"results": [')).toThrow(ParseError);
    expect(() => parseSearxng('{"query": "x"}')).toThrow(/no results list/);
  });
});
