/*
 * The composers' tools, for the console and the ticket page alike: canned replies with "/" and "Suggest a reply".
 *
 * Attached by markup only: a wrapper `.composer-tools` around a composer's textarea, carrying
 *   data-canned-url   GET → {"language", "replies": [{shortcut, title, language, text, note}]} (texts rendered)
 *   data-suggest-url  POST → {"draft"} or {"error", "code"}
 * and a button `[data-suggest-for="<textarea id>"]`. Strings come translated from #composer-tools-strings (the
 * include admin/desk/composer_tools.html, which also holds the CSRF token).
 *
 * Typing "/" at the start or after a space opens a listbox filtered as one types (arrow keys, Enter or Tab inserts,
 * Escape closes, a click inserts); inserting replaces the "/shortcut" with the reply's text. A suggested draft is
 * put in the textarea (asked first when the agent already typed something) and never sent from here: it goes out
 * only when the agent sends it, through the page's own send path. Keys the list uses are caught on the wrapper in
 * the capture phase, so the page's own Enter-to-send never sees them while the list is open.
 */
(function () {
  "use strict";

  const stringsRoot = document.getElementById("composer-tools-strings");
  const S = {};
  if (stringsRoot) stringsRoot.querySelectorAll("[data-s]").forEach((el) => { S[el.dataset.s] = el.textContent.trim(); });
  const fmt = (key, values) => (S[key] || "").replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  const csrfToken = () => {
    const input = stringsRoot && stringsRoot.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  const plural = (n) => (plurals.select(n) === "one" ? "one" : "other");
  const REFRESH_MS = 30000;
  const SUGGEST_TIMEOUT_MS = 90000;
  let counter = 0;

  function make(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  class Refusal extends Error {}

  // A composer grows with an inserted text (up to 40% of the window) and shrinks back when emptied, as after Send.
  // Only a composer that overflows, or that was grown here, is touched: a size the agent chose by hand stays.
  function fit(textarea) {
    const overflowing = textarea.scrollHeight > textarea.clientHeight + 2;
    if (!overflowing && !textarea.dataset.fitted) return;
    textarea.style.height = "";
    delete textarea.dataset.fitted;
    if (textarea.scrollHeight > textarea.clientHeight + 2) {
      const most = Math.round(window.innerHeight * 0.4);
      textarea.style.height = `${Math.min(textarea.scrollHeight + 4, Math.max(most, textarea.clientHeight))}px`;
      textarea.dataset.fitted = "1";
    }
  }

  function setValue(textarea, value) {
    textarea.value = value;
    textarea.focus();
    textarea.setSelectionRange(value.length, value.length);
    textarea.scrollTop = textarea.scrollHeight;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setup(wrapper) {
    const textarea = wrapper.querySelector("textarea");
    if (!textarea || wrapper.dataset.toolsReady) return;
    wrapper.dataset.toolsReady = "1";
    if (!textarea.id) textarea.id = `composer-tools-input-${++counter}`;
    const status = make("p", "composer-tools-status");
    status.id = `${textarea.id}-tools-status`;
    status.setAttribute("role", "status");
    const error = make("p", "composer-tools-error errornote");
    error.setAttribute("role", "alert");
    error.hidden = true;
    wrapper.append(status, error);
    const refit = () => fit(textarea);
    textarea.addEventListener("input", refit);
    textarea.addEventListener("keyup", refit);  // the page may clear the composer on Enter without an input event
    if (textarea.form) textarea.form.addEventListener("submit", () => setTimeout(refit, 0));
    const ui = {
      say(text) { status.textContent = text || ""; },
      fail(text) { error.textContent = text; error.hidden = false; },
      clear() { error.hidden = true; error.textContent = ""; },
    };
    if (wrapper.dataset.cannedUrl) {
      cannedReplies(wrapper, textarea, ui);
      ui.say(S.hint);
      const described = (textarea.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      textarea.setAttribute("aria-describedby", [...described, status.id].join(" "));
    }
    const button = document.querySelector(`[data-suggest-for="${CSS.escape(textarea.id)}"]`);
    if (wrapper.dataset.suggestUrl && button) suggestions(wrapper, textarea, button, ui);
  }

  // --- canned replies ---------------------------------------------------------------------------------------------
  function cannedReplies(wrapper, textarea, ui) {
    const url = wrapper.dataset.cannedUrl;
    const list = make("ul", "composer-tools-list");
    list.id = `${textarea.id}-canned`;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", S.list_label || "");
    list.hidden = true;
    wrapper.appendChild(list);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);

    const state = { replies: null, language: "", fetchedAt: 0, loading: null, shown: [], active: -1, token: null,
                    dismissed: null };

    function tokenAtCaret() {
      if (textarea.selectionStart !== textarea.selectionEnd) return null;
      const before = textarea.value.slice(0, textarea.selectionStart);
      const found = /(^|\s)\/([A-Za-z0-9_-]*)$/.exec(before);
      if (!found) return null;
      return { start: before.length - found[2].length - 1, end: before.length, query: found[2].toLowerCase() };
    }

    function load() {
      if (state.replies && Date.now() - state.fetchedAt < REFRESH_MS) return Promise.resolve(state.replies);
      if (!state.loading) {
        state.loading = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
          .then((data) => {
            state.replies = data.replies || [];
            state.language = data.language || "";
            state.fetchedAt = Date.now();
            return state.replies;
          })
          .finally(() => { state.loading = null; });
      }
      return state.loading;
    }

    function isOpen() { return !list.hidden; }

    function close() {
      list.hidden = true;
      state.active = -1;
      state.shown = [];
      textarea.removeAttribute("aria-activedescendant");
    }

    function matching(query) {
      const starts = [], contains = [];
      (state.replies || []).forEach((reply) => {
        if (!query || reply.shortcut.startsWith(query)) starts.push(reply);
        else if (reply.shortcut.includes(query) || reply.title.toLowerCase().includes(query)) contains.push(reply);
      });
      return starts.concat(contains);
    }

    function mark() {
      Array.from(list.children).forEach((li, index) => li.setAttribute("aria-selected", String(index === state.active)));
      const current = state.active >= 0 ? list.children[state.active] : null;
      if (current) {
        textarea.setAttribute("aria-activedescendant", current.id);
        current.scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function render() {
      const previous = state.shown[state.active];
      state.shown = matching(state.token.query);
      list.replaceChildren();
      if (!state.shown.length) {
        const empty = make("li", "composer-tools-empty", fmt("none", { query: state.token.query }));
        empty.id = `${list.id}-none`;
        empty.setAttribute("role", "option");
        empty.setAttribute("aria-disabled", "true");
        list.appendChild(empty);
        state.active = -1;
      } else {
        state.shown.forEach((reply, index) => {
          const option = make("li", "composer-tools-option");
          option.id = `${list.id}-${index}`;
          option.setAttribute("role", "option");
          const head = make("span", "composer-tools-head");
          head.append(make("span", "composer-tools-shortcut", `/${reply.shortcut}`), " ",
                      make("span", "composer-tools-title", reply.title));
          if (state.language && reply.language !== state.language) {
            head.append(" ", make("span", "composer-tools-lang", reply.language.toUpperCase()));
          }
          option.append(head, make("span", "composer-tools-preview", reply.text));
          option.addEventListener("mousedown", (event) => { event.preventDefault(); });  // the textarea keeps focus
          option.addEventListener("click", () => insert(index));
          list.appendChild(option);
        });
        const kept = state.shown.indexOf(previous);
        state.active = kept >= 0 ? kept : 0;
      }
      const room = wrapper.getBoundingClientRect().top;
      list.classList.toggle("below", room < 260);
      list.hidden = false;
      mark();
      ui.say(state.shown.length ? fmt(`count_${plural(state.shown.length)}`, { count: state.shown.length }) : "");
    }

    async function update() {
      const token = tokenAtCaret();
      if (!token) {
        state.dismissed = null;
        close();
        return;
      }
      if (state.dismissed === token.start) return;
      state.token = token;
      if (!state.replies || Date.now() - state.fetchedAt >= REFRESH_MS) {
        if (!state.replies) ui.say(S.loading);
        try {
          await load();
        } catch (failure) {
          ui.fail(S.load_failed);
          close();
          return;
        }
        ui.clear();
        const again = tokenAtCaret();
        if (!again || state.dismissed === again.start) { close(); return; }
        state.token = again;
      }
      render();
    }

    function insert(index) {
      const reply = state.shown[index];
      const token = tokenAtCaret() || state.token;
      if (!reply || !token) return;
      const value = textarea.value;
      const before = value.slice(0, token.start);
      const after = value.slice(token.end);
      close();
      textarea.value = before + reply.text + after;
      const caret = before.length + reply.text.length;
      textarea.focus();
      textarea.setSelectionRange(caret, caret);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      ui.say(reply.note ? `${S.inserted} ${reply.note}` : S.inserted);
    }

    function move(step) {
      if (!state.shown.length) return;
      state.active = (state.active + step + state.shown.length) % state.shown.length;
      mark();
    }

    // Capture phase on the wrapper: runs before the page's own keydown handler on the textarea (Enter sends).
    wrapper.addEventListener("keydown", (event) => {
      if (event.target !== textarea || !isOpen() || event.isComposing) return;
      const options = state.shown.length > 0;
      if (event.key === "ArrowDown" && options) move(1);
      else if (event.key === "ArrowUp" && options) move(-1);
      else if ((event.key === "Enter" || event.key === "Tab") && options && !event.shiftKey) insert(state.active);
      else if (event.key === "Escape") {
        state.dismissed = state.token ? state.token.start : null;
        close();
        ui.say("");
      } else return;
      event.preventDefault();
      event.stopPropagation();
    }, true);
    textarea.addEventListener("input", update);
    textarea.addEventListener("click", update);
    textarea.addEventListener("keyup", (event) => {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) update();
    });
    textarea.addEventListener("blur", () => { setTimeout(() => { if (document.activeElement !== textarea) close(); }, 0); });
  }

  // --- suggest a reply --------------------------------------------------------------------------------------------
  function suggestions(wrapper, textarea, button, ui) {
    const url = wrapper.dataset.suggestUrl;
    const label = button.textContent;
    let busy = false;
    let choice = null;

    function setBusy(on) {
      busy = on;
      button.setAttribute("aria-disabled", String(on));
      button.setAttribute("aria-busy", String(on));
      button.textContent = on ? S.drafting : label;
      wrapper.classList.toggle("drafting", on);
      textarea.setAttribute("aria-busy", String(on));
    }

    function dropChoice() {
      if (choice) choice.remove();
      choice = null;
    }

    function offer(draft) {
      dropChoice();
      choice = make("div", "composer-tools-choice");
      choice.setAttribute("role", "group");
      choice.setAttribute("aria-label", S.draft_choice);
      choice.appendChild(make("p", "", S.draft_choice));
      const preview = make("p", "composer-tools-draft", draft);
      const actions = make("div", "composer-tools-actions");
      const add = (text, primary, apply) => {
        const b = make("button", primary ? "button default" : "button", text);
        b.type = "button";
        b.addEventListener("click", () => {
          dropChoice();
          if (apply) {
            apply();
            ui.say(S.draft_ready);
          } else {
            textarea.focus();
            ui.say("");
          }
        });
        actions.appendChild(b);
        return b;
      };
      const first = add(S.draft_append, true, () => setValue(textarea, `${textarea.value.replace(/\s+$/, "")}\n\n${draft}`));
      add(S.draft_replace, false, () => setValue(textarea, draft));
      add(S.draft_discard, false, null);
      choice.append(preview, actions);
      choice.addEventListener("keydown", (event) => {
        if (event.key === "Escape") { event.preventDefault(); dropChoice(); textarea.focus(); ui.say(""); }
      });
      wrapper.appendChild(choice);
      ui.say("");  // the group's label says it, and the focus moves to its first button
      first.focus();
    }

    async function draft() {
      if (busy) return;
      setBusy(true);
      ui.clear();
      dropChoice();
      ui.say(S.drafting_status);
      const signal = window.AbortSignal && AbortSignal.timeout ? AbortSignal.timeout(SUGGEST_TIMEOUT_MS) : undefined;
      try {
        let response;
        try {
          response = await fetch(url, { method: "POST", credentials: "same-origin", signal,
                                        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" } });
        } catch (failure) {
          throw new Refusal(S.draft_failed);
        }
        let data = {};
        try { data = await response.json(); } catch (failure) { data = {}; }
        if (!response.ok || typeof data.draft !== "string") throw new Refusal(data.error || S.draft_failed);
        if (!textarea.value.trim()) {
          setValue(textarea, data.draft);
          ui.say(S.draft_ready);
        } else {
          offer(data.draft);
        }
      } catch (failure) {
        ui.say("");
        ui.fail(failure instanceof Refusal ? failure.message : S.draft_failed);
      } finally {
        setBusy(false);
      }
    }

    button.addEventListener("click", (event) => {
      event.preventDefault();
      draft();
    });
  }

  document.querySelectorAll(".composer-tools[data-canned-url], .composer-tools[data-suggest-url]").forEach(setup);
})();
