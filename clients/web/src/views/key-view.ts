import { ToolsDocument } from '../../../typescript/src/index.js';
import { describeError, showAlert } from '../app.js';
import { h, replaceChildren } from '../dom.js';
import { clientFor, forgetKey, saveKey } from '../session.js';

/** Asks for the API key, checks it against the server, then goes on. */
export function keyView(root: HTMLElement, done: () => void): () => void {
  const input = h('input', {
    id: 'api-key',
    attrs: { type: 'password', name: 'apiKey', autocomplete: 'off', spellcheck: 'false' },
  });
  const submit = h('button', { id: 'key-submit', attrs: { type: 'submit' } }, 'Continue');
  const withoutKey = h(
    'button',
    { id: 'no-key', class: 'secondary', attrs: { type: 'button' } },
    'Continue without a key (development)',
  );

  const tryKey = async (key: string) => {
    submit.disabled = true;
    saveKey(key);
    const client = clientFor(key);
    try {
      await client.request(ToolsDocument);
      done();
    } catch (err) {
      forgetKey();
      showAlert(describeError(err));
    } finally {
      submit.disabled = false;
      void client.dispose();
    }
  };

  const form = h(
    'form',
    {
      id: 'key-form',
      class: 'panel narrow',
      on: {
        submit: (event) => {
          event.preventDefault();
          void tryKey(input.value);
        },
      },
    },
    h('h1', {}, 'API key'),
    h(
      'p',
      { class: 'hint' },
      'The key stays in this browser tab only and is forgotten when the tab closes.',
    ),
    h('label', { attrs: { for: 'api-key' } }, 'Key'),
    input,
    h('div', { class: 'actions' }, submit, withoutKey),
  );
  withoutKey.addEventListener('click', () => void tryKey(''));
  replaceChildren(root, form);
  input.focus();
  return () => {};
}
