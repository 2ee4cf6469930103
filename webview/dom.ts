// A tiny element builder: attributes and children, text always as text (never parsed as HTML).

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | number | boolean | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | number | boolean | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Sets data-* attributes (the state the tests and the VS Code harness read). */
export function setData(el: HTMLElement, data: Record<string, string | number | null | undefined>): void {
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined) delete el.dataset[key];
    else el.dataset[key] = String(value);
  }
}

/** The options a select was last filled with (see fillSelect). */
const filledWith = new WeakMap<HTMLElement, string>();

/**
 * Sets a select's options and value. The options are rebuilt only when they changed, so that a
 * list the user has open is not reset under the pointer by a redraw.
 */
export function fillSelect(picker: HTMLElement & { value: string }, options: { value: string; label: string }[], value: string): void {
  const key = JSON.stringify(options);
  if (filledWith.get(picker) !== key) {
    filledWith.set(picker, key);
    picker.replaceChildren(...options.map((o) => h('vscode-option', { value: o.value }, o.label)));
  }
  if (picker.value !== value) picker.value = value;
}
