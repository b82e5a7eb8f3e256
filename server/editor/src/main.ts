// The editor console: sign in, draft with a live preview, publish exactly once, follow the feed,
// correct, withdraw, cancel. Every piece of headline text is set with textContent.
import type { Headline } from '@headline-ticker/sdk/protocol';
import { EditorApi, NetworkError, type ApiResult } from './api.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { byId } from './dom.js';
import { DraftKey, correctionBody, embargoIso, publishBody } from './draft.js';
import { DraftForm } from './draft-form.js';
import { followFeed } from './feed-socket.js';
import { LicencesView } from './licences-view.js';
import { RecentList } from './recent-list.js';
import { FailedList } from './failed-list.js';
import { ScheduledList, type ScheduledItem } from './scheduled-list.js';

const TOKEN_KEY = 'headline-ticker.editor.token';
const REFUSED = 'Your token is no longer accepted. Sign in again.';

const signInForm = byId<HTMLFormElement>('sign-in');
const tokenInput = byId<HTMLInputElement>('token');
const signInError = byId('sign-in-error');
const who = byId('who');
const signOut = byId<HTMLButtonElement>('sign-out');
const consoleMain = byId('console');
const live = byId('live');

const draft = new DraftForm();
const confirmDialog = new ConfirmDialog();
const recent = new RecentList(byId('recent'), { correct: startCorrecting, withdraw: (h) => void confirmWithdraw(h) });
const failed = new FailedList(byId('failed-section'), byId('failed'));
const scheduled = new ScheduledList(byId('scheduled'), (item) => void cancelScheduled(item), byId('scheduled-title'));
const draftKey = new DraftKey();
const licences = new LicencesView(byId('licences'), byId('licences-table'), byId('licences-status'));

let api: EditorApi | null = null;
let feed: { close(): void } | null = null;
let scheduledTimer: ReturnType<typeof setInterval> | null = null;
let correcting: Headline | null = null;
let inFlight = false;

// ---- signing in -------------------------------------------------------------------------------

async function signIn(token: string, remembered: boolean): Promise<void> {
  signInError.textContent = '';
  const candidate = new EditorApi(token);
  let res: ApiResult<{ name: string }>;
  try {
    res = await candidate.me();
  } catch {
    signInError.textContent = 'The server could not be reached. Try again.';
    return;
  }
  if (!res.ok) {
    sessionStorage.removeItem(TOKEN_KEY);
    signInError.textContent =
      res.status !== 401
        ? `Sign-in failed: ${res.error.message}`
        : remembered
          ? REFUSED
          : 'That token was refused: it is not a valid editor token.';
    tokenInput.setAttribute('aria-invalid', 'true');
    tokenInput.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  api = candidate;
  tokenInput.value = '';
  tokenInput.removeAttribute('aria-invalid');
  who.textContent = `Signed in as ${res.body.name}`;
  signInForm.hidden = true;
  signOut.hidden = false;
  consoleMain.hidden = false;
  draft.focusText();
  startFeed(token);
  void refreshScheduled();
  // Other editors schedule too; the list follows the server's every few seconds.
  scheduledTimer = setInterval(() => void refreshScheduled(), 10_000);
  // Shown to admins only: the view hides itself on a 403.
  licences.start(async () => {
    const res = await candidate.usage();
    return res.ok ? res.body : null;
  });
}

async function refreshScheduled(): Promise<void> {
  if (api === null) return;
  try {
    const res = await api.scheduled();
    if (res.ok) scheduled.replaceAll(res.body.scheduled.map((s) => ({ id: s.id, text: s.text, at: s.embargoUntil })));
    // Changes the worker gave up on (past their retry horizon): shown with their reason.
    const gaveUp = await api.audit({ action: 'failed', limit: 20 });
    if (gaveUp.ok) {
      failed.replaceAll(
        gaveUp.body.entries.map((e) => ({ key: `${e.id}|${e.at}`, id: e.id, editor: e.editor, at: e.at, reason: e.reason ?? 'failed' })),
      );
    }
  } catch {
    // The server is away for a moment: the next refresh tries again.
  }
}

function signOutNow(message = ''): void {
  feed?.close();
  feed = null;
  if (scheduledTimer !== null) clearInterval(scheduledTimer);
  scheduledTimer = null;
  licences.stop();
  api = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopCorrecting();
  recent.clear();
  scheduled.clear();
  failed.clear();
  who.textContent = '';
  signOut.hidden = true;
  consoleMain.hidden = true;
  signInForm.hidden = false;
  signInError.textContent = message;
  tokenInput.focus();
}

signInForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = tokenInput.value.trim();
  if (token === '') {
    signInError.textContent = 'Enter your editor token.';
    tokenInput.focus();
    return;
  }
  void signIn(token, false);
});
signOut.addEventListener('click', () => signOutNow());

// ---- the live list ----------------------------------------------------------------------------

function startFeed(token: string): void {
  feed?.close();
  feed = followFeed(token, {
    snapshot: (headlines) => {
      recent.clear();
      for (const h of headlines) {
        scheduled.remove(h.id);
        recent.upsert(h);
      }
      void loadAudit();
    },
    headline: (h) => {
      scheduled.remove(h.id);
      recent.upsert(h);
      void loadAudit(h.id);
    },
    state: (text) => (live.textContent = text),
    refused: () => signOutNow(REFUSED),
  });
}

/** Who did what, per row: all recent entries at once, or one headline's after each event. */
async function loadAudit(id?: string): Promise<void> {
  const res = await api?.audit(id === undefined ? { limit: 1000 } : { id, limit: 50 }).catch(() => null);
  if (!res?.ok) return;
  const perHeadline = new Map<string, typeof res.body.entries>();
  for (const e of res.body.entries) perHeadline.set(e.id, [...(perHeadline.get(e.id) ?? []), e]);
  for (const [hid, entries] of perHeadline) recent.setAudit(hid, entries);
}

// ---- publishing and correcting ----------------------------------------------------------------

/** Publish, or save the correction being made: once, whatever the clicking. */
async function submit(): Promise<void> {
  if (inFlight || api === null) return;
  draft.clearErrors();
  const f = draft.fields();
  const editing = correcting;
  const correction = editing === null ? null : correctionBody(f, editing, draftKey.current);
  if (editing !== null && correction === null) {
    draft.error = 'Nothing changed: edit a field, or stop correcting.';
    return;
  }
  inFlight = true;
  draft.setBusy(true);
  draft.status = editing === null ? 'Publishing…' : 'Saving correction…';
  try {
    const res = editing === null ? await api.publish(publishBody(f, draftKey.current)) : await api.correct(editing.id, correction!);
    if (!res.ok) {
      draft.status = '';
      if (res.status === 401) signOutNow(REFUSED);
      else draft.showErrors(res.error);
      return;
    }
    const text = f.text.replace(/\s+/gu, ' ').trim();
    if (editing !== null) {
      stopCorrecting(true);
      draft.status = `Correction queued: ${text}`;
      return;
    } else if (res.body.status === 'scheduled') {
      scheduled.add({ id: res.body.id, text, at: embargoIso(f.embargo) ?? new Date().toISOString() });
      draft.status = `Scheduled (${res.body.id}): ${text}`;
    } else {
      draft.status = `Published (${res.body.id}): ${text}`;
    }
    draftKey.reset();
    draft.reset();
    draft.focusText();
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    // The key is kept: sending the same draft again cannot publish twice.
    draft.status = '';
    draft.error = 'Network error: it is not known whether this went out. Send again; it will not go out twice.';
  } finally {
    inFlight = false;
    draft.setBusy(false);
  }
}

draft.form.addEventListener('input', () => {
  // A changed draft is a different headline: it gets a new idempotency key.
  draftKey.reset();
  draft.update();
});
draft.form.addEventListener('submit', (e) => {
  e.preventDefault();
  void submit();
});
draft.form.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    void submit();
  } else if (e.key === 'Escape' && correcting !== null) {
    e.preventDefault();
    stopCorrecting(true);
  }
});
byId('save-correction').addEventListener('click', () => void submit());
byId('stop-correcting').addEventListener('click', () => stopCorrecting(true));
setInterval(() => draft.update(), 15_000);

function startCorrecting(h: Headline): void {
  stopCorrecting();
  correcting = h;
  draftKey.reset();
  draft.setCorrecting(h);
  draft.status = '';
  recent.row(h.id)?.classList.add('correcting');
  draft.focusText();
}

/** Back to a new headline; `returnFocus`: to the Correct button that started it, as a dialog would. */
function stopCorrecting(returnFocus = false): void {
  if (correcting === null) return;
  const id = correcting.id;
  recent.row(id)?.classList.remove('correcting');
  correcting = null;
  draftKey.reset();
  draft.setCorrecting(null);
  if (!returnFocus) return;
  const back = recent.correctButton(id);
  if (back !== undefined) back.focus();
  else draft.focusText();
}

// ---- withdrawing and cancelling ---------------------------------------------------------------

async function confirmWithdraw(h: Headline): Promise<void> {
  if (!(await confirmDialog.ask(h.text)) || api === null) return;
  draft.clearErrors();
  draft.status = `Withdrawing: ${h.text}`;
  try {
    const res = await api.withdraw(h.id);
    if (res.ok) draft.status = `Withdrawal queued: ${h.text}`;
    else if (res.status === 401) signOutNow(REFUSED);
    else draft.error = `Not withdrawn: ${res.error.message}`;
  } catch {
    draft.error = 'Network error: the withdrawal may not have been received. Try again.';
  }
}

async function cancelScheduled(item: ScheduledItem): Promise<void> {
  if (api === null) return;
  draft.clearErrors();
  try {
    const res = await api.withdraw(item.id);
    if (res.ok) {
      scheduled.remove(item.id);
      draft.status =
        res.body.status === 'cancelled'
          ? `Cancelled; it will not go out: ${item.text}`
          : // It went out a moment before: the same DELETE withdrew it.
            `It had already gone out, so it is being withdrawn: ${item.text}`;
    } else if (res.status === 404) {
      scheduled.remove(item.id);
      draft.error = `Not found (already cancelled?): ${item.text}`;
    } else if (res.status === 401) signOutNow(REFUSED);
    else draft.error = `Not cancelled: ${res.error.message}`;
  } catch {
    draft.error = 'Network error: the cancellation may not have been received. Try again.';
  }
}

// ---- start ------------------------------------------------------------------------------------

draft.update();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved !== null) void signIn(saved, true);
else tokenInput.focus();
