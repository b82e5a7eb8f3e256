// The editor console: sign in, draft with a live preview, publish exactly once, follow the feed,
// correct, withdraw, cancel. Every piece of headline text is set with textContent.
import type { ErrorBody, Headline, Urgency } from '@headline-ticker/sdk/protocol';
import { EditorApi, NetworkError, type ApiResult } from './api.js';
import { byId } from './dom.js';
import { DraftKey, correctionBody, countOf, embargoIso, fieldsOf, previewLine, publishBody, type DraftFields } from './draft.js';
import { followFeed } from './feed-socket.js';
import { RecentList } from './recent-list.js';
import { ScheduledList, type ScheduledItem } from './scheduled-list.js';

const TOKEN_KEY = 'headline-ticker.editor.token';

const signInForm = byId<HTMLFormElement>('sign-in');
const tokenInput = byId<HTMLInputElement>('token');
const signInError = byId('sign-in-error');
const who = byId('who');
const signOut = byId<HTMLButtonElement>('sign-out');
const consoleMain = byId('console');
const form = byId<HTMLFormElement>('draft');
const draftTitle = byId('draft-title');
const inputs = {
  text: byId<HTMLTextAreaElement>('text'),
  summary: byId<HTMLTextAreaElement>('summary'),
  url: byId<HTMLInputElement>('url'),
  topics: byId<HTMLInputElement>('topics'),
  symbols: byId<HTMLInputElement>('symbols'),
  urgency: byId<HTMLSelectElement>('urgency'),
  embargo: byId<HTMLInputElement>('embargo'),
};
const count = byId('text-count');
const preview = byId<HTMLOutputElement>('preview');
const publishButton = byId<HTMLButtonElement>('publish');
const saveButton = byId<HTMLButtonElement>('save-correction');
const stopButton = byId<HTMLButtonElement>('stop-correcting');
const formStatus = byId('form-status');
const formError = byId('form-error');
const live = byId('live');
const dialog = byId<HTMLDialogElement>('confirm-withdraw');
const confirmText = byId('confirm-text');

/** Server field paths (zod issue paths) → the input they concern. */
const FIELD_OF_PATH: Record<string, keyof typeof inputs> = {
  text: 'text',
  summary: 'summary',
  url: 'url',
  topics: 'topics',
  symbols: 'symbols',
  urgency: 'urgency',
  embargoUntil: 'embargo',
};

let api: EditorApi | null = null;
let feed: { close(): void } | null = null;
let correcting: Headline | null = null;
let inFlight = false;
const draftKey = new DraftKey();

const recent = new RecentList(byId('recent'), { correct: startCorrecting, withdraw: confirmWithdraw });
const scheduled = new ScheduledList(byId('scheduled'), cancelScheduled);

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
    signInError.textContent = res.status === 401
      ? remembered ? 'Your saved token is no longer accepted. Sign in again.' : 'That token was refused: it is not a valid editor token.'
      : `Sign-in failed: ${res.error.message}`;
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
  inputs.text.focus();
  startFeed(token);
}

function signOutNow(message = ''): void {
  feed?.close();
  feed = null;
  api = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopCorrecting();
  recent.clear();
  scheduled.clear();
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
    refused: () => signOutNow('Your token is no longer accepted. Sign in again.'),
  });
}

/** Who did what, per row: all recent entries at once, or one headline's after each event. */
async function loadAudit(id?: string): Promise<void> {
  const res = await api?.audit(id === undefined ? { limit: 1000 } : { id, limit: 50 }).catch(() => null);
  if (!res?.ok) return;
  const byId = new Map<string, typeof res.body.entries>();
  for (const e of res.body.entries) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
  for (const [hid, entries] of byId) recent.setAudit(hid, entries);
}

// ---- the draft --------------------------------------------------------------------------------

function fields(): DraftFields {
  return {
    text: inputs.text.value,
    summary: inputs.summary.value,
    url: inputs.url.value,
    topics: inputs.topics.value,
    symbols: inputs.symbols.value,
    urgency: inputs.urgency.value as Urgency,
    embargo: inputs.embargo.value,
  };
}

function updatePreview(): void {
  const f = fields();
  const c = countOf(f.text);
  count.textContent = c.label;
  count.classList.toggle('over', c.over);
  const embargo = correcting === null ? embargoIso(f.embargo) : undefined;
  const at = correcting !== null ? new Date(correcting.publishedAt) : embargo !== undefined && !Number.isNaN(Date.parse(embargo)) ? new Date(embargo) : new Date();
  preview.textContent = f.text.trim() === '' ? '' : previewLine(f.text, at);
  preview.className = f.urgency;
}

function clearErrors(): void {
  for (const [name, input] of Object.entries(inputs)) {
    input.removeAttribute('aria-invalid');
    byId(`${name}-error`).textContent = '';
  }
  formError.textContent = '';
}

/** A 400's zod issues next to the fields they concern; anything else under the form. */
function showErrors(error: ErrorBody): void {
  const details = Array.isArray(error.details) ? (error.details as { path?: unknown; message?: unknown }[]) : [];
  const byField = new Map<keyof typeof inputs, string[]>();
  const general: string[] = [];
  for (const d of details) {
    const top = typeof d.path === 'string' ? d.path.split('.')[0] ?? '' : '';
    const message = typeof d.message === 'string' ? d.message : 'invalid';
    const field = FIELD_OF_PATH[top];
    if (field === undefined) general.push(message);
    else byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  for (const [field, messages] of byField) {
    inputs[field].setAttribute('aria-invalid', 'true');
    byId(`${field}-error`).textContent = messages.join('; ');
  }
  if (details.length === 0 || general.length > 0) formError.textContent = general.length > 0 ? general.join('; ') : error.message;
  const first = [...byField.keys()][0];
  if (first !== undefined) inputs[first].focus();
}

function setBusy(busy: boolean): void {
  inFlight = busy;
  publishButton.disabled = busy;
  saveButton.disabled = busy;
  form.setAttribute('aria-busy', String(busy));
}

function resetDraft(): void {
  form.reset();
  draftKey.reset();
  updatePreview();
}

/** Publish, or save the correction being made: once, whatever the clicking. */
async function submit(): Promise<void> {
  if (inFlight || api === null) return;
  clearErrors();
  const f = fields();
  const editing = correcting;
  let body;
  if (editing !== null) {
    body = correctionBody(f, editing, draftKey.current);
    if (body === null) {
      formError.textContent = 'Nothing changed: edit a field, or stop correcting.';
      return;
    }
  }
  setBusy(true);
  formStatus.textContent = editing === null ? 'Publishing…' : 'Saving correction…';
  try {
    const res = editing === null ? await api.publish(publishBody(f, draftKey.current)) : await api.correct(editing.id, body!);
    if (!res.ok) {
      formStatus.textContent = '';
      if (res.status === 401) return signOutNow('Your token is no longer accepted. Sign in again.');
      showErrors(res.error);
      return;
    }
    const text = f.text.replace(/\s+/gu, ' ').trim();
    if (editing !== null) {
      formStatus.textContent = `Correction queued: ${text}`;
      stopCorrecting();
    } else if (res.body.status === 'scheduled') {
      const at = embargoIso(f.embargo) ?? new Date().toISOString();
      scheduled.add({ id: res.body.id, text, at });
      formStatus.textContent = `Scheduled (${res.body.id}): ${text}`;
    } else {
      formStatus.textContent = `Published (${res.body.id}): ${text}`;
    }
    resetDraft();
    inputs.text.focus();
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    // The key is kept: sending again cannot publish twice.
    formStatus.textContent = '';
    formError.textContent = 'Network error: it is not known whether this went out. Send again; it will not go out twice.';
  } finally {
    setBusy(false);
  }
}

form.addEventListener('input', () => {
  // A changed draft is a different headline: it gets a new idempotency key.
  draftKey.reset();
  updatePreview();
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  void submit();
});
saveButton.addEventListener('click', () => void submit());
form.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    void submit();
  }
});
setInterval(updatePreview, 15_000);

// ---- corrections, withdrawals, cancellations --------------------------------------------------

function startCorrecting(h: Headline): void {
  stopCorrecting();
  correcting = h;
  const f = fieldsOf(h);
  inputs.text.value = f.text;
  inputs.summary.value = f.summary;
  inputs.url.value = f.url;
  inputs.topics.value = f.topics;
  inputs.symbols.value = f.symbols;
  inputs.urgency.value = f.urgency;
  inputs.embargo.value = '';
  inputs.embargo.disabled = true;
  draftKey.reset();
  clearErrors();
  draftTitle.textContent = `Correcting: ${h.text}`;
  publishButton.hidden = true;
  saveButton.hidden = false;
  stopButton.hidden = false;
  recent.row(h.id)?.classList.add('correcting');
  formStatus.textContent = '';
  updatePreview();
  inputs.text.focus();
}

function stopCorrecting(): void {
  if (correcting === null) return;
  recent.row(correcting.id)?.classList.remove('correcting');
  correcting = null;
  inputs.embargo.disabled = false;
  draftTitle.textContent = 'New headline';
  publishButton.hidden = false;
  saveButton.hidden = true;
  stopButton.hidden = true;
  clearErrors();
  resetDraft();
}
stopButton.addEventListener('click', () => {
  stopCorrecting();
  inputs.text.focus();
});

let pendingWithdraw: Headline | null = null;
let returnFocus: HTMLElement | null = null;

function confirmWithdraw(h: Headline): void {
  pendingWithdraw = h;
  returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  confirmText.textContent = h.text;
  dialog.showModal();
}

dialog.addEventListener('close', () => {
  const h = pendingWithdraw;
  pendingWithdraw = null;
  if (dialog.returnValue === 'withdraw' && h !== null) void withdraw(h);
  dialog.returnValue = '';
  returnFocus?.focus();
});
byId('confirm-keep').addEventListener('click', () => dialog.close('keep'));
byId('confirm-yes').addEventListener('click', () => dialog.close('withdraw'));

async function withdraw(h: Headline): Promise<void> {
  if (api === null) return;
  clearErrors();
  formStatus.textContent = `Withdrawing: ${h.text}`;
  try {
    const res = await api.withdraw(h.id);
    if (res.ok) formStatus.textContent = `Withdrawal queued: ${h.text}`;
    else if (res.status === 401) signOutNow('Your token is no longer accepted. Sign in again.');
    else formError.textContent = `Not withdrawn: ${res.error.message}`;
  } catch {
    formError.textContent = 'Network error: the withdrawal may not have been received. Try again.';
  }
}

async function cancelScheduled(item: ScheduledItem): Promise<void> {
  if (api === null) return;
  clearErrors();
  try {
    const res = await api.withdraw(item.id);
    if (res.ok && res.body.status === 'cancelled') {
      scheduled.remove(item.id);
      formStatus.textContent = `Cancelled; it will not go out: ${item.text}`;
    } else if (res.ok) {
      // It had gone out just before: the same DELETE withdrew it.
      scheduled.remove(item.id);
      formStatus.textContent = `It had already gone out, so it is being withdrawn: ${item.text}`;
    } else if (res.status === 404) {
      scheduled.remove(item.id);
      formError.textContent = `Not found (already cancelled?): ${item.text}`;
    } else if (res.status === 401) signOutNow('Your token is no longer accepted. Sign in again.');
    else formError.textContent = `Not cancelled: ${res.error.message}`;
  } catch {
    formError.textContent = 'Network error: the cancellation may not have been received. Try again.';
  }
}

// ---- start ------------------------------------------------------------------------------------

updatePreview();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved !== null) void signIn(saved, true);
else tokenInput.focus();
