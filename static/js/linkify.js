// Plain text that people wrote (comments), as DOM nodes: the text stays text, and
// http(s) addresses in it become links that open in a new tab and pass no ranking or
// referrer power (rel="nofollow noopener ugc"). Nothing is ever parsed as markup; other
// schemes (javascript:, data:, …) stay plain text. Line breaks are kept by the CSS
// (white-space: pre-wrap) of the element the nodes go into.
import { h } from './dom.js';

// An address runs to the next white space or character that cannot be part of one.
const candidates = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence more often than it ends an address.
const trailing = /[.,;:!?'"*_~]+$/;

function trimAddress(text) {
  let address = text.replace(trailing, '');
  // "(see https://example.com/a)" — a closing bracket with no opening one in the address
  // belongs to the sentence.
  for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']]) {
    while (address.endsWith(close) && address.split(open).length < address.split(close).length) {
      address = address.slice(0, -1).replace(trailing, '');
    }
  }
  return address;
}

function safeHref(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

// "see https://example.com." -> ["see ", <a href="https://example.com/">https://example.com</a>, "."]
export function linkify(text) {
  const source = String(text ?? '');
  const nodes = [];
  let at = 0;
  for (const match of source.matchAll(candidates)) {
    const address = trimAddress(match[0]);
    const href = safeHref(address);
    if (!href) continue;
    if (match.index > at) nodes.push(source.slice(at, match.index));
    nodes.push(h('a', { href, rel: 'nofollow noopener ugc', target: '_blank', text: address }));
    at = match.index + address.length;
  }
  if (at < source.length) nodes.push(source.slice(at));
  return nodes;
}
