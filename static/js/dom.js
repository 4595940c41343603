// Building DOM without innerHTML: text always goes in as text, so user content (titles,
// names, comments) can never become markup.

// h('a', {class: 'x', href: '/'}, 'text', childNode, [more, children])
// Props: class, text, dataset (object), on (object of listeners), hidden, anything else
// becomes an attribute (false/null/undefined leave it out).
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'on') for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    else if (name === 'hidden') element.hidden = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces everything inside element.
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}
