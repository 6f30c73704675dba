import {
  CasesDocument,
  CreateCaseDocument,
  ToolsDocument,
  type CaseStatus,
  type ToolsQuery,
} from '../../../typescript/src/index.js';
import type { AppContext } from '../app.js';
import { h, replaceChildren } from '../dom.js';

const STATUSES: CaseStatus[] = [
  'QUEUED',
  'RUNNING',
  'SYNTHESIZING',
  'COMPLETED',
  'PARTIAL',
  'FAILED',
  'CANCELLED',
];

/** The start page: a form for a new case and the list of cases. */
export function homeView(ctx: AppContext): () => void {
  const toolBox = h('fieldset', { id: 'tool-options', class: 'tools' }, h('legend', {}, 'Tools'));
  const target = h('input', {
    id: 'target',
    attrs: { name: 'target', required: '', placeholder: 'example.com, 192.0.2.1, a@b.org, name' },
  });
  const title = h('input', { id: 'title', attrs: { name: 'title', placeholder: 'the target' } });
  const description = h('textarea', {
    id: 'description',
    attrs: { name: 'description', rows: '2' },
  });
  const submit = h('button', { id: 'create-submit', attrs: { type: 'submit' } }, 'Start case');

  const form = h(
    'form',
    { id: 'create-form', class: 'panel', on: { submit: (e) => void create(e) } },
    h('h2', {}, 'New case'),
    h('label', { attrs: { for: 'target' } }, 'Target'),
    target,
    h('label', { attrs: { for: 'title' } }, 'Title'),
    title,
    h('label', { attrs: { for: 'description' } }, 'Description'),
    description,
    toolBox,
    h('div', { class: 'actions' }, submit),
  );

  const statusFilter = h(
    'select',
    { id: 'status-filter', attrs: { 'aria-label': 'Status' } },
    h('option', { attrs: { value: '' } }, 'any status'),
    ...STATUSES.map((s) => h('option', { attrs: { value: s } }, s.toLowerCase())),
  );
  const search = h('input', {
    id: 'case-search',
    attrs: { type: 'search', placeholder: 'search title or target', 'aria-label': 'Search' },
  });
  const list = h('tbody', { id: 'case-list' });
  const listPanel = h(
    'section',
    { class: 'panel' },
    h('h2', {}, 'Cases'),
    h(
      'form',
      {
        class: 'filters',
        on: {
          submit: (e) => {
            e.preventDefault();
            void loadCases();
          },
        },
      },
      statusFilter,
      search,
      h('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Refresh'),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Title'),
            h('th', {}, 'Target'),
            h('th', {}, 'Status'),
            h('th', {}, 'Created'),
          ),
        ),
        list,
      ),
    ),
  );
  statusFilter.addEventListener('change', () => void loadCases());

  replaceChildren(ctx.root, h('div', { class: 'columns' }, form, listPanel));
  void loadTools();
  void loadCases();
  target.focus();

  async function loadTools() {
    try {
      const { tools } = await ctx.client.request(ToolsDocument);
      toolBox.replaceChildren(h('legend', {}, 'Tools'), ...tools.map(toolOption));
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function loadCases() {
    try {
      const { cases } = await ctx.client.request(CasesDocument, {
        first: 20,
        status: (statusFilter.value || undefined) as CaseStatus | undefined,
        search: search.value.trim() || undefined,
      });
      if (cases.edges.length === 0) {
        replaceChildren(list, h('tr', {}, h('td', { attrs: { colspan: '4' } }, 'No cases yet.')));
        return;
      }
      replaceChildren(
        list,
        ...cases.edges.map(({ node }) =>
          h(
            'tr',
            { attrs: { 'data-case': node.id } },
            h(
              'td',
              {},
              h('a', { attrs: { href: `#/cases/${encodeURIComponent(node.id)}` } }, node.title),
            ),
            h('td', {}, node.target),
            h('td', {}, h('span', { class: `status status-${node.status}` }, node.status)),
            h('td', {}, new Date(node.createdAt).toLocaleString()),
          ),
        ),
      );
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function create(event: SubmitEvent) {
    event.preventDefault();
    ctx.clearAlert();
    const tools = [...toolBox.querySelectorAll<HTMLInputElement>('input[name=tool]:checked')].map(
      (input) => input.value,
    );
    submit.disabled = true;
    try {
      const { createCase } = await ctx.client.request(CreateCaseDocument, {
        input: {
          target: target.value.trim(),
          title: title.value.trim() || target.value.trim(),
          description: description.value.trim() || undefined,
          tools,
        },
      });
      ctx.navigate(`#/cases/${encodeURIComponent(createCase.id)}`);
    } catch (err) {
      ctx.fail(err);
    } finally {
      submit.disabled = false;
    }
  }

  return () => {};
}

function toolOption(tool: ToolsQuery['tools'][number]): HTMLElement {
  const box = h('input', { attrs: { type: 'checkbox', name: 'tool', value: tool.name } });
  box.disabled = !tool.available;
  return h(
    'label',
    {
      class: tool.available ? 'tool-option' : 'tool-option unavailable',
      attrs: { 'data-tool': tool.name },
    },
    box,
    h('span', { class: 'tool-name' }, tool.name),
    h(
      'span',
      { class: 'tool-meta' },
      `${tool.transport.toLowerCase()} · ${tool.targetKinds.map((k) => k.toLowerCase()).join(', ')}`,
    ),
    tool.available
      ? h('span', { class: 'tool-description' }, tool.description)
      : h('span', { class: 'tool-reason' }, tool.unavailableReason ?? 'not available'),
  );
}
