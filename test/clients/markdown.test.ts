import { describe, expect, it } from 'vitest';

import { parseInline, parseMarkdown } from '../../clients/web/src/markdown.js';

describe('the console Markdown reader', () => {
  it('reads the structure of a Loom report', () => {
    const blocks = parseMarkdown(
      [
        '# Title',
        '',
        '- **Target:** `example.com` (domain)',
        '- **Status:** COMPLETED',
        '',
        '## Tool runs',
        '',
        '| Tool | Status |',
        '| --- | --- |',
        '| dns | SUCCEEDED |',
        '',
        'Some text',
        'on two lines.',
        '',
        '---',
        '1. first',
        '2. second',
      ].join('\n'),
    );
    expect(blocks.map((b) => b.type)).toEqual([
      'heading',
      'list',
      'heading',
      'table',
      'paragraph',
      'rule',
      'list',
    ]);
    expect(blocks[1]).toEqual({
      type: 'list',
      ordered: false,
      items: [
        [
          { type: 'strong', children: [{ type: 'text', text: 'Target:' }] },
          { type: 'text', text: ' ' },
          { type: 'code', text: 'example.com' },
          { type: 'text', text: ' (domain)' },
        ],
        [
          { type: 'strong', children: [{ type: 'text', text: 'Status:' }] },
          { type: 'text', text: ' COMPLETED' },
        ],
      ],
    });
    expect(blocks[3]).toEqual({
      type: 'table',
      header: [[{ type: 'text', text: 'Tool' }], [{ type: 'text', text: 'Status' }]],
      rows: [[[{ type: 'text', text: 'dns' }], [{ type: 'text', text: 'SUCCEEDED' }]]],
    });
    expect(blocks[4]).toEqual({
      type: 'paragraph',
      children: [{ type: 'text', text: 'Some text on two lines.' }],
    });
    expect(blocks[6]).toMatchObject({ type: 'list', ordered: true });
  });

  it('keeps escaped markup and table pipes as text', () => {
    const [table] = parseMarkdown(
      '| Value | Found by |\n| --- | --- |\n| \\<img src=x onerror=alert(1)\\> a\\|b | x\\_y |',
    );
    expect(table).toEqual({
      type: 'table',
      header: [[{ type: 'text', text: 'Value' }], [{ type: 'text', text: 'Found by' }]],
      rows: [
        [
          [{ type: 'text', text: '<img src=x onerror=alert(1)> a|b' }],
          [{ type: 'text', text: 'x_y' }],
        ],
      ],
    });
  });

  it('links only to http, https and mailto addresses', () => {
    expect(parseInline('[site](https://example.com/a)')).toEqual([
      { type: 'link', href: 'https://example.com/a', children: [{ type: 'text', text: 'site' }] },
    ]);
    expect(parseInline('[x](javascript:alert(1))')).toEqual([
      { type: 'text', text: '[x](javascript:alert(1))' },
    ]);
    expect(parseInline('[x](data:text/html,hi)')).toEqual([
      { type: 'text', text: '[x](data:text/html,hi)' },
    ]);
  });

  it('leaves unclosed markers and code spans alone', () => {
    expect(parseInline('a * b ** c `d')).toEqual([{ type: 'text', text: 'a * b ** c `d' }]);
    expect(parseInline('*em* and `**not strong**`')).toEqual([
      { type: 'em', children: [{ type: 'text', text: 'em' }] },
      { type: 'text', text: ' and ' },
      { type: 'code', text: '**not strong**' },
    ]);
  });
});
