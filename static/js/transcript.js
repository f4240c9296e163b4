/*
 * A conversation's transcript on the page, shared by the widget (chat.js) and the agent console (console.js):
 * the list items, their bubbles, and the seq bookkeeping that renders every stored message once, whether it comes
 * live, again in a replay, or twice from two tabs.
 *
 *   const transcript = HelpdeskTranscript(list, { send, ordered });
 *
 * - item(className, seq, build): a new <li> (data-seq when given), built by build(li) if given, then placed: at the
 *   end, or with `ordered` before the first item of a later seq; the list scrolls down.
 * - once(key): true the first time a key is seen ("m" + seq for a message frame).
 * - saw(seq): a message frame arrived; lastSeq is the highest seq seen, what a replay starts from.
 * - resume(): ask the server to replay everything after lastSeq (`resume {last_seq}`); poll() does it every 3 s
 *   while live updates are down, until stopPolling().
 * - delta(frame, makeDraft): the streamed text of assistant message frame.seq, appended to its draft bubble (made
 *   by makeDraft() on the first delta); none once that message was rendered. finish(seq, html) puts the final
 *   message in the draft's place, when there is one.
 */
(function () {
  "use strict";

  window.HelpdeskTranscript = function (list, options) {
    const rendered = new Set();
    const drafts = new Map();
    let lastSeq = 0;
    let polling = null;

    function scrollDown() { list.scrollTop = list.scrollHeight; }

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
      scrollDown();
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
      }
      draft.textContent += frame.text;
      return draft;
    }

    function finish(seq, html) {
      const draft = drafts.get(seq);
      if (!draft) return false;
      draft.innerHTML = html;
      draft.parentElement.classList.remove("streaming");
      drafts.delete(seq);
      return true;
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
      rendered, drafts, scrollDown, item, bubble, once, saw, delta, finish, forget, restart, resume, poll, stopPolling,
    };
  };
})();
