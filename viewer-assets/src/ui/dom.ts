/**
 * A tiny element builder. Text always goes in as text nodes (never innerHTML), so names and values from the
 * database or the URL cannot inject markup; no inline styles (the CSP forbids them).
 */

import { formatWithZone, TimeZoneChoice } from '../model/time';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value as EventListener);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else if (name === 'checked' && el instanceof HTMLInputElement) el.checked = value === true;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

let idCounter = 0;
export const uniqueId = (prefix: string) => `${prefix}-${++idCounter}`;

/** A modal confirmation with the native <dialog>; resolves true on OK. */
export function confirmDialog(message: string, okLabel: string, cancelLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-label': message });
    const done = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    append(
      dialog,
      h('p', {}, message),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, cancelLabel), h('button', { type: 'button', class: 'danger', onclick: () => done(true) }, okLabel)),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A short message at the bottom of the screen (errors stay until dismissed). */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, message), h('button', { type: 'button', 'aria-label': document.documentElement.lang === 'ja' ? '閉じる' : 'Close', onclick: () => el.remove() }, '×'));
  document.body.append(el);
  if (kind === 'info') setTimeout(() => el.remove(), 4000);
}

/** A time with its zone, the one format of the viewer: `2026-12-06 10:50:07 UTC+09:00`. */
export function formatTime(ms: number, zone: TimeZoneChoice, seconds = true): string {
  return formatWithZone(ms, zone, seconds);
}
