import type { LoomClient } from '../../typescript/src/index.js';
import { describeError, hideAlert, isAuthError, showAlert, type AppContext } from './app.js';
import { byId } from './dom.js';
import { clientFor, forgetKey, storedKey } from './session.js';
import { caseView } from './views/case-view.js';
import { homeView } from './views/home-view.js';
import { keyView } from './views/key-view.js';

const root = byId('app');
const forgetButton = byId<HTMLButtonElement>('forget-key');
const who = byId('who');
let client: LoomClient | undefined;
let disposeView: (() => void) | undefined;

forgetButton.addEventListener('click', () => {
  forgetKey();
  route();
});
window.addEventListener('hashchange', () => route());
route();

/** Draws the view the address names; without a chosen key, the key form comes first. */
function route(): void {
  disposeView?.();
  disposeView = undefined;
  hideAlert();

  const key = storedKey();
  if (key === null) {
    void client?.dispose();
    client = undefined;
    forgetButton.hidden = true;
    who.textContent = '';
    disposeView = keyView(root, () => route());
    return;
  }

  client ??= clientFor(key);
  forgetButton.hidden = false;
  who.textContent = key ? 'with API key' : 'no key (development)';
  const ctx: AppContext = {
    client,
    root,
    navigate: (hash) => {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
    fail: (err) => {
      if (isAuthError(err) && (err as { code: string }).code === 'UNAUTHENTICATED') {
        forgetKey();
        route();
      }
      showAlert(describeError(err));
    },
    clearAlert: hideAlert,
  };

  const match = /^#\/cases\/([^/]+)$/.exec(location.hash);
  disposeView = match ? caseView(ctx, decodeURIComponent(match[1])) : homeView(ctx);
}
