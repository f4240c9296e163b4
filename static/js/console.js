/*
 * The agent console: one conversation over /ws/agent/<id>/. Replays the transcript from the database (resume),
 * then follows it live: customer messages with their sentiment, the assistant's answers and tool calls, typing.
 * Take over / Resolve / Hand back / Transfer are frames; the server decides (two agents cannot take one
 * conversation; only the holder writes, types to the customer, resolves, hands back or transfers).
 *
 * The `state` frame says what this agent may do: the holder (`mine`) gets the composer, Hand back, Resolve and the
 * agents to transfer to (`transfer_to`); anyone else sees Take over (`can_take`) or who has the conversation.
 * The `ticket` frame fills the side panel: the conversation's ticket (its priority as the queue shows it) and its
 * internal notes, which any agent may add (`note`), for the team only.
 *
 * Focus moves only when the agent asks for it (their own Take over puts them in the composer); state frames never
 * take it. The transcript keeps to its newest message unless the agent scrolled up (transcript.js: "New messages").
 * Every string comes from the page ([data-role=strings], translated); the socket (socket.js) and the transcript's
 * seq bookkeeping (transcript.js) are shared with the widget.
 */
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const list = $("transcript");
  const input = $("input");
  const composer = $("composer");
  const statusPill = $("status");
  const statusLine = $("typing");
  const errorBox = $("error");
  const transferForm = $("transfer");
  const transferTo = $("transfer-to");
  const noteForm = $("note-form");
  const noteInput = $("note-input");
  const notesList = $("notes");
  const strings = {};
  root.querySelectorAll('[data-role="strings"] [data-s]').forEach((el) => { strings[el.dataset.s] = el.textContent; });
  const lang = document.documentElement.lang || undefined;
  const transcript = HelpdeskTranscript(list, { send, newMessages: $("new-messages") });
  const { item, bubble, once } = transcript;
  let connection = null;
  const state = {
    resumed: false, typingTimer: null, lastTyping: 0, mine: false, status: null, holder: null,
    focusComposer: false,  // the agent clicked Take over: the composer gets the focus when it is theirs
    noteClientId: null,
  };

  // A string of the page, its {placeholders} replaced; the key itself if the page lacks it.
  function t(key, values) {
    let text = key in strings ? strings[key] : key;
    Object.entries(values || {}).forEach(([name, value]) => { text = text.split(`{${name}}`).join(String(value)); });
    return text;
  }

  // The page's label of a value a frame carries (a status, a flag, a field): the value itself if it has none.
  function label(prefix, value) {
    const key = prefix + value;
    return key in strings ? strings[key] : String(value).replace(/_/g, " ");
  }

  function newId(prefix) {
    return prefix + (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36));
  }

  function meta(li, who, extra) {
    const line = document.createElement("div");
    line.className = "meta";
    const name = document.createElement("strong");
    name.textContent = who;
    line.appendChild(name);
    if (extra) line.appendChild(extra);
    li.appendChild(line);
  }

  const scoreFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1,
                                                   signDisplay: "exceptZero" });
  const timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

  function money(amount, currency) {
    const value = Number(amount);
    if (!currency || !Number.isFinite(value)) return String(amount);
    try { return new Intl.NumberFormat(lang, { style: "currency", currency }).format(value); } catch (e) {
      return `${amount} ${currency}`;
    }
  }

  function sentimentBadge(sentiment) {
    const span = document.createElement("span");
    if (!sentiment) return span;
    const score = Number(sentiment.score);
    span.className = "sentiment " + (score <= -0.3 ? "neg" : score >= 0.3 ? "pos" : "neu");
    span.textContent = scoreFormat.format(score);
    span.title = sentiment.reason || "";
    const wrap = document.createElement("span");
    wrap.appendChild(span);
    (sentiment.flags || []).forEach((flag) => {
      const f = document.createElement("span");
      f.className = "flag";
      f.textContent = label("flag-", flag);
      wrap.appendChild(f);
    });
    return wrap;
  }

  // The assistant's status ("Assistant: Searching our help articles…") and who is typing share one line.
  function setStatusLine(text) {
    clearTimeout(state.typingTimer);
    statusLine.textContent = text || "";
  }

  function priorityBadge(priority) {
    // The markup of tickets.badges.priority_badge, as the queue and the ticket page show it.
    const span = document.createElement("span");
    span.className = `priority priority-${priority}`;
    span.textContent = label("priority-", priority);
    return span;
  }

  function showTransferTargets(agents) {
    const chosen = transferTo.value;
    transferTo.replaceChildren(...agents.map((agent) => {
      const option = document.createElement("option");
      option.value = String(agent.id);
      option.textContent = agent.name;
      return option;
    }));
    if (agents.some((agent) => String(agent.id) === chosen)) transferTo.value = chosen;
    const none = agents.length === 0;
    transferTo.disabled = none;
    $("transfer-send").disabled = none;
    $("no-agents").hidden = !none;
  }

  function noteItem(note) {
    const li = document.createElement("li");
    li.className = "note";
    li.dataset.id = String(note.id);
    const line = document.createElement("div");
    line.className = "note-meta";
    const who = document.createElement("strong");
    who.textContent = note.author;
    const when = document.createElement("time");
    when.dateTime = note.at;
    when.textContent = timeFormat.format(new Date(note.at));
    line.append(who, " ", when);
    const body = document.createElement("div");
    body.className = "note-body";
    body.textContent = note.body;
    li.append(line, body);
    return li;
  }

  function showNotes(notes) {
    const shown = new Set(Array.from(notesList.querySelectorAll("li[data-id]")).map((li) => li.dataset.id));
    notes.filter((note) => !shown.has(String(note.id))).forEach((note) => notesList.appendChild(noteItem(note)));
    const empty = notesList.querySelector("li.empty");
    if (notes.length && empty) empty.remove();
    if (!notes.length && !empty && !notesList.children.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = t("noNotes");
      notesList.appendChild(li);
    }
  }

  const handlers = {
    state(frame) {
      const mine = Boolean(frame.mine);
      const changed = frame.status !== state.status || frame.agent !== state.holder || mine !== state.mine;
      state.status = frame.status;
      state.holder = frame.agent;
      state.mine = mine;
      if (changed) setStatusLine("");  // resolved, handed back, taken, transferred: the old status line is stale
      statusPill.textContent = label("status-", frame.status);
      statusPill.className = "status-pill " + frame.status;
      $("take").hidden = mine || !frame.can_take;
      const heldBy = $("held-by");
      heldBy.textContent = frame.status === "closed" ? t("closed")
        : (!mine && frame.status === "agent" && frame.agent ? t("heldBy", { name: frame.agent }) : "");
      heldBy.hidden = !heldBy.textContent;
      $("hand-back").hidden = !mine;
      $("resolve").hidden = !mine;
      composer.hidden = !mine;
      transferForm.hidden = !mine;
      showTransferTargets(mine ? frame.transfer_to || [] : []);
      if (mine && state.focusComposer) input.focus();
      if (mine || !frame.can_take) state.focusComposer = false;
      if (transcript.lastSeq === 0 && !state.resumed) {
        state.resumed = true;
        transcript.resume();
      }
    },
    ticket(frame) {
      const ticket = frame.ticket;
      $("ticket-panel").hidden = !ticket;
      noteForm.hidden = !ticket;
      $("no-ticket").hidden = Boolean(ticket);
      if (ticket) {
        $("ticket-kind").textContent = label("kind-", ticket.kind);
        const link = $("ticket-link");
        link.href = ticket.url;
        link.textContent = ticket.number;
        $("ticket-priority").replaceChildren(priorityBadge(ticket.priority));
        $("ticket-reason").textContent = ticket.reason;
      }
      showNotes(frame.notes || []);
    },
    "note.saved"(frame) {
      if (frame.client_id && frame.client_id === state.noteClientId) {
        noteInput.value = "";
        state.noteClientId = null;
      }
      errorBox.hidden = true;
    },
    "customer.message"(frame) {
      if (!once("m" + frame.seq)) return;
      item("customer", frame.seq, (li) => {
        meta(li, t("customer"), sentimentBadge(frame.sentiment));
        bubble(li, frame.text);
      });
      transcript.saw(frame.seq);
    },
    sentiment(frame) {
      const line = list.querySelector(`li.customer[data-seq="${frame.seq}"] .meta`);
      if (line) {
        line.querySelectorAll(".sentiment, .flag").forEach((el) => el.remove());
        line.appendChild(sentimentBadge(frame));
      }
    },
    "assistant.delta"(frame) {
      const draft = transcript.delta(frame, () => item("assistant streaming", frame.seq, (li) => {
        meta(li, t("assistant"));
        bubble(li, "");
      }).querySelector(".bubble"));
      if (draft) setStatusLine("");
    },
    "assistant.message"(frame) {
      if (!once("m" + frame.seq)) return;
      transcript.saw(frame.seq);
      setStatusLine("");
      if (frame.html) {
        if (!transcript.finish(frame.seq, frame.html)) {
          item("assistant", frame.seq, (li) => { meta(li, t("assistant")); bubble(li, null, frame.html); });
        }
      } else {
        transcript.drop(frame.seq);
      }
      (frame.tools || []).forEach((tool) => {
        item("tool", frame.seq, (li) => { li.textContent = `→ ${tool.name} ${JSON.stringify(tool.input)}`; });
      });
    },
    "tool.result"(frame) {
      if (!once("t" + frame.seq)) return;
      transcript.saw(frame.seq);
      (frame.content || []).forEach((block) => {
        let text = block.content;
        try { text = JSON.stringify(JSON.parse(block.content)); } catch (e) { /* keep as is */ }
        item("tool" + (block.is_error ? " error" : ""), frame.seq, (li) => {
          li.textContent = `← ${block.is_error ? t("refused") + " " : ""}${String(text).slice(0, 400)}`;
        });
      });
    },
    "agent.message"(frame) {
      if (!once("m" + frame.seq)) return;
      setStatusLine("");
      item("agent", frame.seq, (li) => { meta(li, frame.name || t("agent")); bubble(li, null, frame.html); });
      transcript.saw(frame.seq);
    },
    "agent.joined"(frame) {
      if (!once("m" + frame.seq)) return;
      item("notice", frame.seq, (li) => { li.textContent = t("joined", { name: frame.name }); });
      transcript.saw(frame.seq);
    },
    notice(frame) {
      if (frame.seq && !once("m" + frame.seq)) return;
      item("notice", frame.seq, (li) => { li.textContent = frame.text; });
      transcript.saw(frame.seq);
    },
    action(frame) {
      if (!once(`a${frame.seq}${frame.kind}`)) return;
      const details = Object.entries(frame).filter(([k]) => !["type", "seq", "kind", "currency"].includes(k))
        .map(([k, v]) => `${label("field-", k)}: ${k === "amount" ? money(v, frame.currency) : v}`).join(", ");
      item("notice", frame.seq, (li) => { li.textContent = `✔ ${label("action-", frame.kind)} — ${details}`; });
    },
    "tool.status"(frame) {
      // The assistant's work, while it has the chat: late news of a turn a person cut short says nothing.
      if (state.status !== "agent" && state.status !== "closed") setStatusLine(t("assistantStatus", { label: frame.label }));
    },
    typing(frame) {
      setStatusLine(frame.role === "customer" ? t("customerTyping") : t("agentTyping", { name: frame.name }));
      state.typingTimer = setTimeout(() => { statusLine.textContent = ""; }, 4000);
    },
    ack() { errorBox.hidden = true; },
    error(frame) {
      state.focusComposer = false;
      showError(frame);
    },
  };

  function showError(frame) {
    errorBox.textContent = frame.message;
    errorBox.hidden = false;
  }

  // A frame goes only over an open socket; otherwise the agent is told (a click is never silently lost).
  function send(frame) {
    const sent = connection ? connection.send(frame) : false;
    if (!sent && frame.type !== "typing" && frame.type !== "resume") showError({ message: t("notConnected") });
    return sent;
  }

  function submit() {
    const text = input.value.trim();
    if (!text || !state.mine) return;
    if (send({ type: "message", text, client_id: newId("agent-") })) input.value = "";
  }

  composer.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (state.mine && now - state.lastTyping > 2000) { state.lastTyping = now; send({ type: "typing" }); }
  });
  $("take").addEventListener("click", () => {
    state.focusComposer = true;
    send({ type: "take_over" });
  });
  $("resolve").addEventListener("click", () => send({ type: "resolve" }));
  $("hand-back").addEventListener("click", () => send({ type: "hand_back" }));
  transferForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (transferTo.value) send({ type: "transfer", to: Number(transferTo.value) });
  });
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = noteInput.value.trim();
    if (!text) return;
    state.noteClientId = newId("note-");
    send({ type: "note", text, client_id: state.noteClientId });
  });

  connection = HelpdeskSocket.connect({
    path: root.dataset.wsPath,
    finalCodes: [4403, 4404],
    handlers,
    interrupted(frame) {
      showError(frame);
      // Live updates are down: replay from the database every few seconds until the server says they are back.
      $("connection").textContent = t("interrupted");
      transcript.poll();
    },
    restored() {
      transcript.stopPolling();
      errorBox.hidden = true;
      $("connection").textContent = t("live");
    },
    opened() {
      $("connection").textContent = t("live");
      if (state.resumed) transcript.resume();
    },
    closed() {
      transcript.stopPolling();
      $("connection").textContent = t("reconnecting");
    },
    final(code) { $("connection").textContent = code === 4403 ? t("notAllowed") : t("notFound"); },
  });
})();
