import { describe, expect, it } from 'vitest';

import { intelowlFindingsFromJson, parseIntelOwl } from '../../src/tools/intelowl/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';

describe('IntelOwl jobs', () => {
  it.skipIf(!haveFixtures)('gives one OTHER finding per successful analyzer report', () => {
    const findings = parseIntelOwl(
      readFixture('intelowl/intelowl_v4_job_72_reported_with_fails.json'),
    );
    expect(findings.map((f) => f.value)).toEqual([
      'CryptoScamDB_CheckAPI',
      'Classic_DNS',
      'FileScan_Search',
      'GreyNoiseCommunity',
      'InQuest_IOCdb',
    ]);
    expect(findings.every((f) => f.kind === 'OTHER')).toBe(true);
    expect(findings[1].data?.report).toEqual({
      observable: '8.8.8.8',
      resolutions: ['dns.google'],
    });
    // A SUCCESS report can still carry errors; they stay with it. Addresses inside are not mined.
    expect(findings[4].data?.errors).toEqual(['No API key retrieved']);
  });

  it('reads a v6 job and leaves failed, killed and running reports out', () => {
    const job = {
      id: 311,
      status: 'reported_with_fails',
      observable_name: 'acme.example',
      analyzer_reports: [
        {
          id: 1,
          name: 'Classic_DNS',
          status: 'SUCCESS',
          report: { resolutions: [] },
          errors: [],
          process_time: 0.51,
          type: 'analyzer',
        },
        {
          id: 2,
          name: 'Shodan',
          status: 'FAILED',
          report: {},
          errors: ['no key'],
          type: 'analyzer',
        },
        { id: 3, name: 'VirusTotal', status: 'KILLED', report: {}, errors: [], type: 'analyzer' },
        { id: 4, name: 'URLhaus', status: 'RUNNING', report: {}, errors: [], type: 'analyzer' },
      ],
      connector_reports: [{ name: 'YETI', status: 'SUCCESS', report: {} }],
    };
    expect(intelowlFindingsFromJson(job)).toEqual([
      {
        kind: 'OTHER',
        value: 'Classic_DNS',
        data: { report: { resolutions: [] }, processTime: 0.51 },
      },
    ]);
  });

  it.skipIf(!haveFixtures)('finds nothing in a job list page or an accepted job', () => {
    expect(parseIntelOwl(readFixture('intelowl/intelowl_v4_jobs_list_page.json'))).toEqual([]);
    expect(
      parseIntelOwl(readFixture('intelowl/intelowl_v4_analyze_observable_accepted.json')),
    ).toEqual([]);
  });

  it('refuses the 404 body and garbage with a one-line reason', () => {
    expect(() => parseIntelOwl('{"detail":"Not found."}')).toThrow(
      'IntelOwl answered with an error: Not found.',
    );
    expect(() => parseIntelOwl('{"id": 72, "analyzer_reports": [')).toThrow(
      /^malformed JSON in IntelOwl answer/,
    );
    expect(() => parseIntelOwl('[]')).toThrow(/not a JSON object/);
  });
});
