import { h, type Child } from './dom.js';
import { parseMarkdown, type Block, type Inline } from './markdown.js';

/** Draws a Markdown report as elements and text nodes (never as HTML). */
export function renderMarkdown(source: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseMarkdown(source)) fragment.appendChild(renderBlock(block));
  return fragment;
}

function renderBlock(block: Block): Node {
  switch (block.type) {
    case 'heading': {
      const tag = `h${Math.min(6, block.level + 1)}` as 'h2';
      return h(tag, {}, ...inlines(block.children));
    }
    case 'paragraph':
      return h('p', {}, ...inlines(block.children));
    case 'list': {
      const items = block.items.map((item) => h('li', {}, ...inlines(item)));
      return block.ordered ? h('ol', {}, ...items) : h('ul', {}, ...items);
    }
    case 'code':
      return h('pre', {}, h('code', {}, block.text));
    case 'table':
      return h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...block.header.map((cell) => h('th', {}, ...inlines(cell))))),
          h(
            'tbody',
            {},
            ...block.rows.map((row) =>
              h('tr', {}, ...row.map((cell) => h('td', {}, ...inlines(cell)))),
            ),
          ),
        ),
      );
    case 'rule':
      return h('hr');
  }
}

function inlines(items: Inline[]): Child[] {
  return items.map((item): Child => {
    switch (item.type) {
      case 'text':
        return item.text;
      case 'code':
        return h('code', {}, item.text);
      case 'strong':
        return h('strong', {}, ...inlines(item.children));
      case 'em':
        return h('em', {}, ...inlines(item.children));
      case 'link':
        return h(
          'a',
          { attrs: { href: item.href, rel: 'noopener noreferrer', target: '_blank' } },
          ...inlines(item.children),
        );
    }
  });
}
