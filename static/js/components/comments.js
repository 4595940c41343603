// The comment section of the watch page: the count, Top/Newest ordering, the box to
// write a comment (or why there is none: a visitor is invited to sign in; the owner may
// have turned comments off), and the comments, a page at a time. Each comment shows its
// author, age, "(edited)", its text (links clickable, never markup: see linkify.js), and
// Reply, Edit (in place) and Delete (after a confirmation) as the server allows; its
// replies open under it, oldest first, with their own "Show more replies". Everything
// changes in place; a polite status line tells screen readers what happened.
import { h, replaceChildren } from '../dom.js';
import { formatCount, formatDateTime, timeAgo } from '../format.js';
import { formAlert, onSubmit, showMessage } from '../forms.js';
import {
  deleteComment, editComment, listComments, postComment,
} from '../interactions.js';
import { linkify } from '../linkify.js';
import { currentUser, displayName } from '../session.js';
import { channelUrl, loginUrl } from '../urls.js';
import { renderAvatar } from './avatar.js';
import { commentComposer } from './comment-composer.js';
import { reportButton } from './report-dialog.js';
import { askToSignIn } from './sign-in-prompt.js';

const pageSize = 20;
const sorts = [
  { value: 'top', label: 'Top' },
  { value: 'newest', label: 'Newest' },
];

// The item of each comment element, for refreshing a thread's replies.
const itemOf = new WeakMap();

const repliesLabel = (count) => (count === 1 ? 'View 1 reply' : `View ${formatCount(count)} replies`);
const countLabel = (count) => `${formatCount(count)} ${count === 1 ? 'comment' : 'comments'}`;

// The "Delete this comment?" dialog, one for the section.
function deleteDialog() {
  const text = h('p', { class: 'dialog__text' });
  const alert = formAlert();
  const confirm = h('button', { class: 'button button--danger', type: 'submit', text: 'Delete', dataset: { testid: 'confirm-delete' } });
  const cancel = h('button', { class: 'button', type: 'button', text: 'Cancel' });
  const form = h('form', { class: 'form', method: 'dialog' }, alert, text,
    h('div', { class: 'form__actions dialog__actions' }, cancel, confirm));
  const dialog = h('dialog', {
    class: 'dialog dialog--small', role: 'alertdialog', 'aria-labelledby': 'comment-delete-title',
    dataset: { testid: 'comment-delete-dialog' },
  }, h('h2', { class: 'dialog__title', id: 'comment-delete-title', text: 'Delete this comment?' }), form);
  let current = null;
  cancel.addEventListener('click', () => dialog.close());
  onSubmit(form, { alert, submit: confirm }, async () => {
    await deleteComment(current.comment.id);
    dialog.close();
    current.onDeleted();
    return null;
  });
  return {
    element: dialog,
    // onDeleted runs once the server has deleted it.
    open(comment, onDeleted) {
      current = { comment, onDeleted };
      text.textContent = comment.parent_id || !comment.reply_count
        ? 'The comment is deleted for good. This cannot be undone.'
        : 'The comment and its replies are deleted for good. This cannot be undone.';
      showMessage(alert);
      dialog.showModal();
      cancel.focus();
    },
  };
}

export function commentSection(video) {
  let sort = 'top';
  let cursor = null;
  let count = Number(video.comment_count) || 0;
  let enabled = video.comments_enabled !== false;
  let generation = 0; // a newer first page (another sort) wins over an older one still loading
  const shown = new Map(); // top-level comment id -> its item

  const title = h('h2', { class: 'comments__title', id: 'comments-title', dataset: { testid: 'comment-count' } });
  const sortButtons = sorts.map((option) => h('button', {
    class: 'comments__sort-button', type: 'button', 'aria-pressed': String(option.value === sort), text: option.label,
    dataset: { sort: option.value, testid: `sort-${option.value}` },
    on: { click: () => changeSort(option.value) },
  }));
  const sortGroup = h('div', { class: 'comments__sort', role: 'group', 'aria-label': 'Sort comments' }, sortButtons);
  const announcer = h('p', { class: 'visually-hidden', role: 'status' });
  const composerSlot = h('div', { class: 'comments__composer' });
  const list = h('ol', { class: 'comments__list', 'aria-labelledby': 'comments-title', dataset: { testid: 'comment-list' } });
  const empty = h('p', { class: 'comments__empty', hidden: true, dataset: { testid: 'comments-empty' } });
  const alert = h('div', { class: 'notice notice--error comments__alert', role: 'alert', hidden: true });
  const more = h('button', {
    class: 'button button--outline comments__more', type: 'button', text: 'Show more comments', hidden: true,
    dataset: { testid: 'comments-more' },
  });
  const remover = deleteDialog();

  const announce = (text) => {
    announcer.textContent = '';
    // A fresh text node, so the same message twice is announced twice.
    setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  };

  // With comments turned off the server lists none, so no count or order is offered.
  const showCount = () => {
    title.textContent = enabled ? countLabel(count) : 'Comments';
    title.dataset.count = String(count);
    sortGroup.hidden = !enabled;
  };
  const changeCount = (delta) => {
    count = Math.max(0, count + delta);
    showCount();
  };
  const showEmpty = () => {
    empty.textContent = 'No comments yet. Start the conversation.';
    empty.hidden = !enabled || list.children.length > 0 || !alert.hidden;
  };

  // ---------- writing ----------

  const showComposer = () => {
    const user = currentUser();
    if (!enabled) {
      replaceChildren(composerSlot, h('p', { class: 'comments__off', dataset: { testid: 'comments-off' }, text: 'Comments are turned off.' }));
      return;
    }
    if (!user) {
      replaceChildren(composerSlot, h('p', { class: 'comments__sign-in' },
        h('a', { href: loginUrl(`${location.pathname}${location.search}`), text: 'Sign in' }), ' to comment.'));
      return;
    }
    const composer = commentComposer({
      label: 'Add a comment', placeholder: 'Add a comment…', submitLabel: 'Comment', testid: 'new-comment',
      onSubmit: async (text) => {
        const comment = await postComment(video.id, text).catch(refuseIfOff);
        const item = commentItem(comment);
        shown.set(comment.id, item);
        list.prepend(item.element);
        changeCount(1);
        showEmpty();
        announce('Your comment was posted.');
      },
    });
    replaceChildren(composerSlot, h('div', { class: 'comments__new' }, renderAvatar(user, { size: 'medium' }), composer.element));
  };

  // Turns comments off or on for what is shown (the owner changed it, or a post was refused).
  const setEnabled = (next) => {
    if (enabled === next) return;
    enabled = next;
    showCount();
    showComposer();
    for (const item of shown.values()) item.refresh();
    showEmpty();
  };
  const refuseIfOff = (failure) => {
    if (failure.code === 'comments_disabled') setEnabled(false);
    throw failure;
  };

  // ---------- one comment ----------

  // parent: the top-level comment's item for a reply, null for a top-level comment.
  function commentItem(initial, parent = null) {
    let comment = initial;
    const isReply = parent !== null;
    const element = h('li', {
      class: `comment${isReply ? ' comment--reply' : ''}`, id: `comment-${comment.id}`,
      dataset: { testid: isReply ? 'reply' : 'comment', commentId: comment.id },
    });
    const main = h('div', { class: 'comment__main' });
    const replySlot = h('div', { class: 'comment__reply-box' });
    let replyBox = null;
    let editing = false;

    // The replies (top-level comments only).
    const repliesId = `comment-${comment.id}-replies`;
    const replies = isReply ? null : {
      list: h('ol', { class: 'comment__replies', id: repliesId, hidden: true, 'aria-label': 'Replies' }),
      toggle: h('button', {
        class: 'comment__replies-toggle', type: 'button', 'aria-expanded': 'false', 'aria-controls': repliesId,
        dataset: { testid: 'replies-toggle' },
      }),
      more: h('button', {
        class: 'comment__replies-more', type: 'button', text: 'Show more replies', hidden: true, dataset: { testid: 'replies-more' },
      }),
      alert: h('p', { class: 'comment__error', role: 'alert' }),
      loaded: false,
      cursor: null,
      ids: new Set(),
      posted: [], // replies written here, shown at the end until their page loads
    };

    const actions = () => {
      const buttons = [];
      if (enabled) {
        buttons.push(h('button', {
          class: 'comment__action', type: 'button', text: 'Reply', dataset: { testid: 'reply-button' },
          'aria-label': `Reply to ${displayName(comment.author)}`,
          on: { click: openReply },
        }));
      }
      if (comment.can_edit) {
        buttons.push(h('button', {
          class: 'comment__action', type: 'button', text: 'Edit', dataset: { testid: 'edit-comment' },
          'aria-label': 'Edit your comment', on: { click: startEdit },
        }));
      }
      if (comment.can_delete) {
        buttons.push(h('button', {
          class: 'comment__action', type: 'button', text: 'Delete', dataset: { testid: 'delete-comment' },
          'aria-label': `Delete the comment of ${displayName(comment.author)}`,
          on: { click: () => remover.open(comment, removed) },
        }));
      }
      // Anyone but its author may report it (visitors are asked to sign in first).
      if (comment.author?.id && comment.author.id !== currentUser()?.id) {
        buttons.push(reportButton({ type: 'comment', id: comment.id }, {
          className: 'comment__action', compact: true, ariaLabel: `Report the comment of ${displayName(comment.author)}`,
        }));
      }
      return buttons.length ? h('div', { class: 'comment__actions' }, buttons) : null;
    };

    const header = () => {
      const author = comment.author ?? {};
      const byOwner = author.id && author.id === video.owner?.id;
      return h('p', { class: 'comment__meta' },
        author.id
          ? h('a', { class: 'comment__author', href: channelUrl(author), dataset: { testid: 'comment-author' }, text: displayName(author) })
          : h('span', { class: 'comment__author', text: displayName(author) || 'Deleted account' }),
        byOwner ? h('span', { class: 'comment__badge', text: 'Creator' }) : null,
        h('time', {
          class: 'comment__time', datetime: comment.created_at, title: formatDateTime(comment.created_at), text: timeAgo(comment.created_at),
        }),
        comment.edited
          ? h('span', { class: 'comment__edited', dataset: { testid: 'comment-edited' }, title: `Edited ${formatDateTime(comment.updated_at)}`, text: '(edited)' })
          : null);
    };

    const render = () => {
      editing = false;
      replaceChildren(main,
        header(),
        h('p', { class: 'comment__body', dataset: { testid: 'comment-body' } }, linkify(comment.content)),
        actions(),
        replySlot);
      if (!enabled && replyBox) closeReply(false);
      if (replies) showRepliesToggle();
    };

    // ---------- editing ----------
    function startEdit() {
      if (editing) return;
      editing = true;
      const box = commentComposer({
        label: 'Edit your comment', submitLabel: 'Save', initial: comment.content, testid: 'edit-composer',
        onSubmit: async (text) => {
          comment = { ...comment, ...(await editComment(comment.id, text)) };
          render();
          main.querySelector('[data-testid="edit-comment"]')?.focus();
          announce('Your comment was saved.');
        },
        onCancel: () => {
          render();
          main.querySelector('[data-testid="edit-comment"]')?.focus();
        },
      });
      replaceChildren(main, header(), box.element, replySlot);
      box.focus();
    }

    // ---------- replying ----------
    function openReply() {
      if (!currentUser()) {
        askToSignIn('Sign in to reply to comments.');
        return;
      }
      if (replyBox) {
        replyBox.focus();
        return;
      }
      // Replies hang under the top-level comment; a reply to a reply names whom it answers.
      const top = parent ?? item;
      const mention = isReply && comment.author?.username && comment.author.id !== currentUser()?.id ? `@${comment.author.username} ` : '';
      replyBox = commentComposer({
        label: `Reply to ${displayName(comment.author)}`, placeholder: 'Add a reply…', submitLabel: 'Reply', initial: '',
        testid: 'reply-composer',
        onSubmit: async (text) => {
          const reply = await postComment(video.id, text, top.comment.id).catch(refuseIfOff);
          closeReply(false);
          await top.addReply(reply);
          announce('Your reply was posted.');
        },
        onCancel: () => closeReply(true),
      });
      if (mention) replyBox.textarea.value = mention;
      replaceChildren(replySlot, h('div', { class: 'comment__reply-new' }, renderAvatar(currentUser(), { size: 'small' }), replyBox.element));
      replyBox.textarea.dispatchEvent(new Event('input'));
      replyBox.focus();
    }
    function closeReply(returnFocus) {
      replyBox = null;
      replaceChildren(replySlot);
      if (returnFocus) main.querySelector('[data-testid="reply-button"]')?.focus();
    }

    // ---------- deleting ----------
    function removed() {
      const focusAfter = element.nextElementSibling ?? element.previousElementSibling;
      element.remove();
      if (isReply) {
        parent.replyRemoved(comment.id);
        changeCount(-1);
      } else {
        shown.delete(comment.id);
        changeCount(-(1 + (Number(comment.reply_count) || 0)));
        showEmpty();
      }
      (focusAfter?.querySelector('.comment__action') ?? title).focus?.();
      announce('The comment was deleted.');
    }

    // ---------- the replies ----------
    function showRepliesToggle() {
      const total = Number(comment.reply_count) || 0;
      const open = !replies.list.hidden;
      replies.toggle.hidden = total === 0;
      replies.toggle.textContent = open ? 'Hide replies' : repliesLabel(total);
      replies.toggle.setAttribute('aria-expanded', String(open));
    }

    async function loadReplies() {
      replies.more.disabled = true;
      replies.alert.textContent = '';
      try {
        const page = await listComments(video.id, { parentId: comment.id, cursor: replies.cursor, limit: pageSize });
        const anchor = replies.posted.find((id) => replies.ids.has(id) && replies.list.querySelector(`#comment-${CSS.escape(id)}`));
        const before = anchor ? replies.list.querySelector(`#comment-${CSS.escape(anchor)}`) : null;
        for (const reply of page.comments ?? []) {
          if (replies.ids.has(reply.id)) continue;
          replies.ids.add(reply.id);
          const child = commentItem(reply, item);
          replies.list.insertBefore(child.element, before);
        }
        replies.cursor = page.next_cursor ?? null;
        replies.loaded = true;
        replies.more.hidden = !replies.cursor;
      } catch (failure) {
        replies.alert.textContent = `The replies could not be loaded. ${failure.message}`;
      } finally {
        replies.more.disabled = false;
      }
    }

    async function toggleReplies() {
      const opening = replies.list.hidden;
      replies.list.hidden = !opening;
      replies.more.hidden = !opening || !replies.cursor;
      showRepliesToggle();
      if (opening && !replies.loaded) {
        replies.toggle.setAttribute('aria-busy', 'true');
        await loadReplies();
        replies.toggle.removeAttribute('aria-busy');
      }
    }

    const item = {
      element,
      get comment() {
        return comment;
      },
      refresh: () => {
        if (!editing) render();
        for (const child of replies?.list.children ?? []) itemOf.get(child)?.refresh();
      },
      // A reply written on this page: open the replies (loading them once) and show it last.
      async addReply(reply) {
        comment = { ...comment, reply_count: (Number(comment.reply_count) || 0) + 1 };
        changeCount(1);
        if (!replies.loaded) await loadReplies();
        replies.list.hidden = false;
        replies.more.hidden = !replies.cursor;
        if (!replies.ids.has(reply.id)) {
          replies.ids.add(reply.id);
          replies.posted.push(reply.id);
          replies.list.append(commentItem(reply, item).element);
        }
        showRepliesToggle();
        replies.list.querySelector(`#comment-${CSS.escape(reply.id)}`)?.scrollIntoView({ block: 'nearest' });
      },
      replyRemoved(id) {
        replies.ids.delete(id);
        comment = { ...comment, reply_count: Math.max(0, (Number(comment.reply_count) || 0) - 1) };
        if (comment.reply_count === 0) replies.list.hidden = true;
        showRepliesToggle();
      },
    };
    itemOf.set(element, item);

    if (replies) {
      replies.toggle.addEventListener('click', toggleReplies);
      replies.more.addEventListener('click', loadReplies);
    }
    element.append(
      comment.author?.id
        ? h('a', { class: 'comment__avatar', href: channelUrl(comment.author), tabindex: '-1', 'aria-hidden': 'true' },
          renderAvatar(comment.author, { size: isReply ? 'small' : 'medium' }))
        : h('span', { class: 'comment__avatar' }, renderAvatar(comment.author, { size: isReply ? 'small' : 'medium' })),
      h('div', { class: 'comment__content' },
        main,
        replies ? h('div', { class: 'comment__thread' }, replies.toggle, replies.list, replies.more, replies.alert) : null));
    render();
    return item;
  }

  // ---------- the list ----------

  const skeleton = () => Array.from({ length: 3 }, () => h('li', { class: 'comment comment--skeleton', 'aria-hidden': 'true' },
    h('span', { class: 'avatar skeleton-block' }),
    h('div', { class: 'comment__content' },
      h('span', { class: 'skeleton-line skeleton-line--short' }),
      h('span', { class: 'skeleton-line' }))));

  async function loadPage({ first = false } = {}) {
    const mine = first ? ++generation : generation;
    more.disabled = true;
    if (first) {
      cursor = null;
      shown.clear();
      replaceChildren(list, skeleton());
      list.setAttribute('aria-busy', 'true');
      empty.hidden = true;
    }
    try {
      const page = await listComments(video.id, { sort, cursor, limit: pageSize });
      if (mine !== generation) return;
      if (first) replaceChildren(list);
      for (const comment of page.comments ?? []) {
        if (shown.has(comment.id)) continue;
        const item = commentItem(comment);
        shown.set(comment.id, item);
        list.append(item.element);
      }
      cursor = page.next_cursor ?? null;
      if (Number.isFinite(Number(page.comment_count)) && page.comment_count !== null) {
        count = Number(page.comment_count);
        showCount();
      }
      if (typeof page.comments_enabled === 'boolean') setEnabled(page.comments_enabled);
      alert.hidden = true;
    } catch (failure) {
      if (mine !== generation) return;
      if (first) replaceChildren(list);
      replaceChildren(alert,
        h('p', { text: `The comments could not be loaded. ${failure.message}` }),
        h('button', { class: 'button button--small', type: 'button', text: 'Try again', on: { click: () => loadPage({ first }) } }));
      alert.hidden = false;
    } finally {
      if (mine === generation) {
        list.removeAttribute('aria-busy');
        more.hidden = !cursor;
        more.disabled = false;
        showEmpty();
      }
    }
  }

  function changeSort(next) {
    if (next === sort) return;
    sort = next;
    for (const button of sortButtons) button.setAttribute('aria-pressed', String(button.dataset.sort === sort));
    loadPage({ first: true });
  }

  more.addEventListener('click', () => loadPage());

  showCount();
  showComposer();
  const element = h('section', { class: 'comments', 'aria-labelledby': 'comments-title', dataset: { testid: 'comments' } },
    h('div', { class: 'comments__header' },
      title,
      sortGroup),
    composerSlot,
    alert,
    list,
    empty,
    more,
    announcer,
    remover.element);
  title.setAttribute('tabindex', '-1');

  return {
    element,
    load: () => loadPage({ first: true }),
  };
}
