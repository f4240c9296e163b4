/*
 * A conversation's transcript on the page, shared by the widget (chat.js) and the agent console (console.js):
 * the list items, their bubbles, and the seq bookkeeping that renders every stored message once, whether it comes
 * live, again in a replay, or twice from two tabs.
 *
 *   const transcript = HelpdeskTranscript(list, { send, ordered, newMessages });
 *
 * - item(className, seq, build): a new <li> (data-seq when given), built by build(li) if given, then placed: at the
 *   end, or with `ordered` before the first item of a later seq; the list scrolls down.
 * - newMessages (a button, optional): the list follows what arrives only while the reader is at its bottom. Once
 *   they scroll up, what arrives leaves them where they are and shows the button (its [data-role=new-count] counts
 *   the new items); clicking it, or scrolling back down, goes to the newest and hides it.
 * - once(key): true the first time a key is seen ("m" + seq for a message frame).
 * - saw(seq): a message frame arrived; lastSeq is the highest seq seen, what a replay starts from.
 * - resume(): ask the server to replay everything after lastSeq (`resume {last_seq}`); poll() does it every 3 s
 *   while live updates are down, until stopPolling().
 * - delta(frame, makeDraft): the streamed text of assistant message frame.seq, appended to its draft bubble (made
 *   by makeDraft() on the first delta); none once that message was rendered. finish(seq, html) puts the final
 *   message in the draft's place, when there is one; drop(seq) removes a draft whose message has no text.
 *
 * Screen readers: the list is a polite live region announcing additions. A streaming message's item is
 * aria-busy="true" until its final frame, which fills the same item in place (no second node): it is announced
 * once, complete, rather than word by word and then again.
 */
(function () {
  "use strict";

  window.HelpdeskTranscript = function (list, options) {
    const rendered = new Set();
    const drafts = new Map();
    let lastSeq = 0;
    let polling = null;
    const follower = options.newMessages ? followBottom(list, options.newMessages) : null;

    function scrollDown() {
      if (follower) follower.toBottom(); else list.scrollTop = list.scrollHeight;
    }

    function item(className, seq, build) {
      const li = document.createElement("li");
      li.className = className;
      const numbered = seq !== undefined && seq !== null;
      if (numbered) li.dataset.seq = String(seq);
      if (build) build(li);
      // Keep the list in seq order even if frames arrive out of order.
      const later = options.ordered && numbered
        ? Array.from(list.children).find((el) => el.dataset.seq && Number(el.dataset.seq) > seq) : null;
      list.insertBefore(li, later || null);
      if (!follower) scrollDown();  // a follower sees the change itself, whenever the item gets its content
      return li;
    }

    function bubble(li, text, html) {
      const div = document.createElement("div");
      div.className = "bubble";
      if (html !== undefined) div.innerHTML = html; else div.textContent = text;
      li.appendChild(div);
      return div;
    }

    function once(key) {
      if (rendered.has(key)) return false;
      rendered.add(key);
      return true;
    }

    function saw(seq) { lastSeq = Math.max(lastSeq, seq || 0); }

    function delta(frame, makeDraft) {
      let draft = drafts.get(frame.seq);
      if (!draft) {
        if (rendered.has("m" + frame.seq)) return null;
        draft = makeDraft();
        drafts.set(frame.seq, draft);
        const li = draft.closest("li");
        if (li) li.setAttribute("aria-busy", "true");
      }
      draft.textContent += frame.text;
      return draft;
    }

    function finish(seq, html) {
      const draft = drafts.get(seq);
      if (!draft) return false;
      draft.innerHTML = html;
      const li = draft.closest("li");
      if (li) { li.classList.remove("streaming"); li.removeAttribute("aria-busy"); }
      drafts.delete(seq);
      return true;
    }

    function drop(seq) {
      const draft = drafts.get(seq);
      if (!draft) return;
      const li = draft.closest("li");
      if (li) li.remove(); else draft.remove();
      drafts.delete(seq);
    }

    // What was rendered is forgotten (the items stay or go as the caller decides).
    function forget() {
      rendered.clear();
      drafts.clear();
    }

    // A new conversation: earlier items stay on screen, but seq numbers start over.
    function restart() {
      list.querySelectorAll("li[data-seq]").forEach((li) => { delete li.dataset.seq; });
      forget();
      lastSeq = 0;
    }

    function resume() { return options.send({ type: "resume", last_seq: lastSeq }); }

    function poll() {
      if (!polling) polling = setInterval(resume, 3000);
    }

    function stopPolling() {
      if (polling) { clearInterval(polling); polling = null; }
    }

    return {
      get lastSeq() { return lastSeq; },
      rendered, drafts, scrollDown, item, bubble, once, saw, delta, finish, drop, forget, restart, resume, poll,
      stopPolling,
    };
  };

  // Keep `list` at its newest item while the reader is at the bottom; otherwise show `button` (see above).
  function followBottom(list, button) {
    const SLACK = 48;  // px from the bottom that still count as "at the bottom"
    const count = button.querySelector('[data-role="new-count"]');
    let pinned = true;
    let unseen = 0;
    const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight <= SLACK;

    function hideButton() {
      unseen = 0;
      button.hidden = true;
      if (count) count.textContent = "";
    }

    function toBottom() {
      list.scrollTop = list.scrollHeight;
      pinned = true;
      hideButton();
    }

    list.addEventListener("scroll", () => {
      pinned = atBottom();
      if (pinned) hideButton();
    }, { passive: true });

    new MutationObserver((records) => {
      if (pinned) { list.scrollTop = list.scrollHeight; return; }
      records.forEach((record) => {
        if (record.target === list) {
          unseen += Array.from(record.addedNodes).filter((node) => node.nodeName === "LI").length;
        }
      });
      if (atBottom()) return;
      button.hidden = false;
      if (count) count.textContent = unseen ? `(${unseen})` : "";
    }).observe(list, { childList: true, subtree: true, characterData: true });

    if (window.ResizeObserver) new ResizeObserver(() => { if (pinned) list.scrollTop = list.scrollHeight; }).observe(list);

    button.addEventListener("click", () => {
      toBottom();
      list.focus({ preventScroll: true });  // the button is gone: keep keyboard users in the transcript
    });
    return { toBottom };
  }
})();
