/*
 * The storefront chat widget. Speaks the JSON protocol of /ws/chat/ (see README, "Websocket protocol").
 *
 * Never losing a word: an outgoing message stays in an outbox (sessionStorage) until the server acknowledges it
 * with its seq, and is re-sent after a reconnect (the server stores a client_id once). A message the server
 * refuses (an `error` frame with its client_id) leaves the outbox and shows the reason on its bubble; a
 * rate-limited one stays and goes again after `retry_after` seconds. Incoming messages are rendered once per seq;
 * after a reconnect the widget asks the server to replay everything after the last message frame it received (not
 * an ack: an ack says nothing about what came before it). While live updates are down (realtime_unavailable) it
 * asks for that replay every few seconds, until `realtime_restored`.
 * Customer text is inserted as text; assistant and agent messages arrive as server-sanitized HTML.
 * The socket (socket.js) and the transcript's seq bookkeeping (transcript.js) are shared with the agent console.
 */
(function () {
  "use strict";

  const root = document.getElementById("chat");
  if (!root) return;

  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const log = $("log");
  const input = $("input");
  const sendButton = $("send");
  const composer = $("composer");
  const statusLine = $("status");
  const banner = $("banner");
  const endButton = $("end");
  const csatForm = $("csat");
  const counter = $("count");
  const limitNote = $("limit");
  const launcher = document.querySelector('[data-role="launcher"]');
  const strings = {};
  root.querySelectorAll('[data-role="strings"] [data-s]').forEach((el) => { strings[el.dataset.s] = el.textContent; });

  const OUTBOX_KEY = "helpdesk.chat.outbox";
  const transcript = HelpdeskTranscript(log, { send, ordered: true });
  let connection = null;
  const state = {
    connected: false,
    needResume: false,
    conversation: null,
    status: "new",
    typingTimer: null,
    lastTypingSent: 0,
    csat: null,
    wait: null,  // the latest `wait` frame: place in line and agents available
  };

  // --- outbox ----------------------------------------------------------------------------------------------------
  function loadOutbox() {
    try { return JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveOutbox(items) { sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(items)); }
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  // --- rendering ---------------------------------------------------------------------------------------------------
  const { scrollDown, bubble } = transcript;
  const addItem = (className, builder, seq) => transcript.item("msg " + className, seq, builder);

  function renderCustomer(text, clientId, seq, pending) {
    let li = clientId ? log.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`) : null;
    if (!li) {
      li = addItem("customer" + (pending ? " pending" : ""), (el) => bubble(el, text), seq);
      if (clientId) li.dataset.clientId = clientId;
    }
    if (seq) { li.dataset.seq = String(seq); li.classList.remove("pending"); }
    return li;
  }

  function renderAssistantDelta(frame) {
    const draft = transcript.delta(frame, () => addItem("assistant streaming", (el) => bubble(el, ""), frame.seq)
      .querySelector(".bubble"));
    if (!draft) return;
    setStatus("");
    scrollDown();
  }

  function renderHtmlMessage(kind, seq, html, name) {
    if (!transcript.once("m" + seq)) return;
    if (transcript.finish(seq, html)) {
      scrollDown();
      return;
    }
    addItem(kind, (li) => {
      if (name) {
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = name;
        li.appendChild(who);
      }
      bubble(li, null, html);
    }, seq);
  }

  function renderNotice(seq, text) {
    if (!transcript.once("n" + seq + text)) return;
    addItem("notice", (li) => { li.textContent = text; }, seq);
  }

  function card(title, rows, mark) {
    return (li) => {
      const box = document.createElement("div");
      box.className = "card";
      box.setAttribute("role", "group");
      const h = document.createElement("strong");
      h.textContent = (mark || "✔") + " " + title;
      box.appendChild(h);
      const dl = document.createElement("dl");
      rows.forEach(([label, value]) => {
        if (value === undefined || value === null || value === "") return;
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.textContent = value;
        dl.append(dt, dd);
      });
      box.appendChild(dl);
      li.appendChild(box);
    };
  }

  function money(amount, currency) {
    try {
      return new Intl.NumberFormat(root.dataset.lang, { style: "currency", currency }).format(Number(amount));
    } catch (e) { return `${amount} ${currency}`; }
  }

  function renderAction(frame) {
    if (!transcript.once(`a${frame.seq}:${frame.kind}:${frame.ticket || frame.order_id || ""}`)) return;
    let builder;
    if (frame.kind === "refund") {
      builder = card(strings.refundDone, [[frame.order_id, money(frame.amount, frame.currency)], ["", frame.timing]]);
    } else if (frame.kind === "refund_declined") {
      builder = card(strings.refundDeclined, [[frame.order_id, money(frame.amount, frame.currency)],
        [strings.reason, frame.reason]], "✕");
    } else if (frame.kind === "refund_pending") {
      builder = card(strings.refundPending, [[frame.order_id, money(frame.amount, frame.currency)],
        [strings.ticket, frame.ticket], [strings.position, frame.position],
        [strings.agentsAvailable, frame.agents_available], [strings.followUp, frame.email],
        [strings.backAt, frame.next_opening]]);
    } else if (frame.kind === "ticket") {
      // offline: a hand-off nobody could take became this ticket, answered by email when the team is back
      builder = card(frame.offline ? strings.ticketOffline : strings.ticketOpened, [[strings.ticket, frame.ticket],
        [strings.followUp, frame.email], [strings.backAt, frame.next_opening]]);
    } else if (frame.kind === "handoff") {
      builder = card(strings.handoffQueued, [[strings.ticket, frame.ticket], [strings.position, frame.position],
        [strings.agentsAvailable, frame.agents_available]]);
    } else {
      return;
    }
    addItem("action " + frame.kind, builder, frame.seq);
  }

  // An empty status falls back to the wait line while the customer waits for a person.
  function setStatus(text) {
    statusLine.textContent = text || (state.status === "waiting" && state.wait ? waitText(state.wait) : "");
  }

  // While waiting for a person: "You're number 2 in line · 1 agent available" (the server's `wait` frames).
  function waitText(wait) {
    const count = Number(wait.agents_available) || 0;
    const agents = count === 0 ? strings.agentsNone
      : (count === 1 ? strings.agentsOne : strings.agentsMany).replace("{count}", String(count));
    return `${strings.waitPosition.replace("{position}", String(wait.position))} · ${agents}`;
  }

  function setBanner(text) {
    banner.textContent = text || "";
    banner.hidden = !text;
  }

  // --- state -------------------------------------------------------------------------------------------------------
  function applyState(frame) {
    if (frame.conversation && frame.conversation !== state.conversation) {
      state.conversation = frame.conversation;
    }
    const statusChanged = frame.status !== state.status;
    state.status = frame.status;
    state.csat = frame.csat;
    endButton.hidden = !(frame.conversation && frame.status !== "closed");
    const banners = { waiting: strings.waiting, agent: strings.withAgent, closed: strings.closed };
    if (state.connected) setBanner(banners[frame.status] || "");
    if (frame.status !== "waiting") state.wait = null;
    // A tool's status or someone's typing belongs to the state it came in (handed back, resolved: it is stale).
    if (frame.status !== "bot" || statusChanged) { clearTimeout(state.typingTimer); setStatus(""); }
    const showCsat = frame.status === "closed" && !frame.csat && frame.conversation;
    showRating(Boolean(showCsat));
    if (showCsat) {
      scrollDown();  // the transcript is shorter now: keep its last lines in view
      csatForm.querySelector("input").focus({ preventScroll: true });
    }
  }

  // The rating form replaces the composer: the conversation is over (a new message would start another one).
  function showRating(show) {
    csatForm.hidden = !show;
    composer.hidden = show;
    input.disabled = show;
    if (!show) updateSendable();
  }

  function updateSendable() {
    sendButton.disabled = !input.value.trim() || overLimit();
  }

  // --- the length limit (the server's CHAT_MAX_MESSAGE_CHARS) ----------------------------------------------------
  // Counted as the server counts: characters (code points) of the trimmed text. Nothing is cut: a text over the
  // limit stays in the box, Send is disabled and the note below says by how much, announced once typing pauses.
  const numbers = new Intl.NumberFormat(root.dataset.lang);
  const COUNTER_FROM = 0.8;
  let limitTimer = null;

  function maxChars() { return Number(root.dataset.maxChars) || 0; }
  function length() { return Array.from(input.value.trim()).length; }
  function overLimit() { return maxChars() > 0 && length() > maxChars(); }

  function fill(template, count) {
    return template.replace("{count}", numbers.format(count)).replace("{limit}", numbers.format(maxChars()));
  }

  function showLength() {
    const limit = maxChars(), count = length(), over = overLimit();
    counter.hidden = !limit || count < limit * COUNTER_FROM;
    counter.textContent = counter.hidden ? "" : fill(strings.count, count);
    counter.classList.toggle("over", over);
    input.setAttribute("aria-invalid", String(over));
    clearTimeout(limitTimer);
    if (!over) {
      limitNote.textContent = "";
    } else if (!limitNote.textContent) {
      limitNote.textContent = fill(strings.tooLong, count);  // just went over (a paste, a keystroke): say it now
    } else {
      limitTimer = setTimeout(() => { if (overLimit()) limitNote.textContent = fill(strings.tooLong, length()); }, 600);
    }
  }

  // --- socket ------------------------------------------------------------------------------------------------------
  function send(frame) { return connection ? connection.send(frame) : false; }

  // Each outbox message goes once per connection: one typed between the socket's open and its state frame is not
  // sent again by the flush (the server would drop the copy by client_id, but a refusal would come back twice).
  let sentOnThisConnection = new Set();
  function sendMessage(item) {
    if (sentOnThisConnection.has(item.client_id)) return;
    if (send({ type: "message", text: item.text, client_id: item.client_id })) sentOnThisConnection.add(item.client_id);
  }

  function flushOutbox() { loadOutbox().forEach(sendMessage); }

  const handlers = {
    state(frame) {
      // Earlier messages stay on screen, but seq numbers restart with the new conversation.
      if (frame.conversation !== state.conversation && state.conversation !== null) transcript.restart();
      applyState(frame);
      if (state.needResume) {
        state.needResume = false;
        if (frame.conversation) transcript.resume();
        flushOutbox();
      }
    },
    ack(frame) {
      const li = log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
      if (li) {
        li.dataset.seq = String(frame.seq);
        li.classList.remove("pending", "waiting");
        // The server masked something (a card number, a password): show what it stored, as text only.
        const shown = li.querySelector(".bubble");
        if (shown && typeof frame.text === "string") shown.textContent = frame.text;
      }
      saveOutbox(loadOutbox().filter((item) => item.client_id !== frame.client_id));
      transcript.rendered.add("m" + frame.seq);
      // Not transcript.saw(): the ack comes straight back, while what was stored before it may not have arrived.
      if (state.status === "bot" || state.status === "new") setStatus(strings.thinking);
    },
    "customer.message"(frame) {
      if (transcript.once("m" + frame.seq)) renderCustomer(frame.text, frame.client_id, frame.seq, false);
      transcript.saw(frame.seq);
    },
    "assistant.delta"(frame) { renderAssistantDelta(frame); },
    "assistant.message"(frame) {
      renderHtmlMessage("assistant", frame.seq, frame.html);
      transcript.saw(frame.seq);
      setStatus(frame.continues ? strings.thinking : "");
    },
    "agent.message"(frame) {
      renderHtmlMessage("agent", frame.seq, frame.html, frame.name);
      transcript.saw(frame.seq);
      setStatus("");
    },
    "agent.joined"(frame) {
      renderNotice(frame.seq, `${frame.name} ${strings.joined}`);
      transcript.saw(frame.seq);
    },
    notice(frame) {
      renderNotice(frame.seq, frame.text);
      transcript.saw(frame.seq);
    },
    action(frame) { renderAction(frame); },
    wait(frame) {
      state.wait = frame;
      if (state.status === "waiting") setStatus("");
    },
    "tool.status"(frame) { setStatus(frame.label); },
    typing(frame) {
      setStatus(`${frame.name} ${strings.agentTyping}`);
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => setStatus(""), 4000);
    },
    "csat.thanks"() {
      showRating(false);
      state.csat = true;
      renderNotice("csat", strings.thanks);
    },
    error(frame) {
      setStatus("");
      if (frame.client_id && refuseMessage(frame)) return;
      showError(frame);
    },
  };

  function showError(frame) {
    const li = addItem("error", (el) => { el.textContent = frame.message; });
    li.setAttribute("role", "alert");
    return li;
  }

  // The server refused one of our messages. Transient refusals keep it in the outbox (a rate limit: sent again
  // once the window allows it); any other takes it out, or every reload would send it and be refused again.
  const RETRIED_LATER = new Set(["rate_limited", "server_error"]);
  function refuseMessage(frame) {
    const li = log.querySelector(`li[data-client-id="${CSS.escape(frame.client_id)}"]`);
    const refused = loadOutbox().find((item) => item.client_id === frame.client_id);
    if (RETRIED_LATER.has(frame.code)) {
      if (li) li.classList.add("waiting");
      if (frame.code === "rate_limited") {
        clearTimeout(state.retryTimer);
        const seconds = Math.max(1, Number(frame.retry_after) || 3);
        state.retryTimer = setTimeout(() => {
          const item = loadOutbox().find((entry) => entry.client_id === frame.client_id);
          if (item) send({ type: "message", text: item.text, client_id: item.client_id });
        }, seconds * 1000 + 100);
      }
      return false;  // the reason is shown below as usual
    }
    saveOutbox(loadOutbox().filter((item) => item.client_id !== frame.client_id));
    if (frame.code === "message_too_long" && refused && !input.value.trim()) {
      // Back in the box to be shortened: the customer loses nothing.
      input.value = refused.text;
      autosize();
      showLength();
      updateSendable();
    }
    if (!li) return false;
    li.classList.remove("pending", "waiting");
    li.classList.add("refused");
    let reason = li.querySelector(".refusal");
    if (!reason) {
      reason = document.createElement("div");
      reason.className = "refusal";
      reason.setAttribute("role", "alert");
      li.appendChild(reason);
    }
    reason.textContent = frame.message;
    return true;
  }

  // Live updates down (the server's channel layer is unreachable): ask the server to replay from the database
  // every few seconds until it says they are back (realtime_restored), so answers still arrive. A new socket
  // starts over: if the outage goes on, its server says so again.
  function realtimeInterrupted(frame) {
    setStatus("");
    transcript.poll();
    showError(frame).dataset.realtime = "down";
  }

  function realtimeRestored(frame) {
    transcript.stopPolling();
    log.querySelectorAll('li[data-realtime="down"]').forEach((li) => li.remove());
    if (frame.message) renderNotice("realtime" + Date.now(), frame.message);
  }

  // --- user actions ------------------------------------------------------------------------------------------------
  function submitMessage() {
    // Not connected yet (the page just loaded) or reconnecting: the message waits in the outbox and goes out with
    // the next connection's state frame, so a fast typist never loses a word.
    const text = input.value.trim();
    if (!text || overLimit()) return;
    const clientId = newClientId();
    saveOutbox([...loadOutbox(), { client_id: clientId, text }]);
    renderCustomer(text, clientId, null, true);
    sendMessage({ client_id: clientId, text });
    input.value = "";
    autosize();
    showLength();
    updateSendable();
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }

  composer.addEventListener("submit", (event) => { event.preventDefault(); submitMessage(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitMessage();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    showLength();
    updateSendable();
    const now = Date.now();
    if (state.status === "agent" && now - state.lastTypingSent > 2000) {
      state.lastTypingSent = now;
      send({ type: "typing" });
    }
  });
  endButton.addEventListener("click", () => {
    if (window.confirm(strings.endConfirm)) send({ type: "close" });
  });
  csatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(csatForm);
    send({ type: "csat", score: Number(data.get("score")), comment: String(data.get("comment") || "") });
  });
  $("new-chat").addEventListener("click", () => {
    showRating(false);
    Array.from(log.querySelectorAll("li:not(.intro)")).forEach((li) => li.remove());
    transcript.forget();
    setBanner("");
    input.focus();
  });

  if (launcher) {
    const minimize = $("minimize");
    const setOpen = (open) => {
      root.hidden = !open;
      launcher.hidden = open;
      launcher.setAttribute("aria-expanded", String(open));
      sessionStorage.setItem("helpdesk.chat.open", open ? "1" : "");
      if (open) { input.focus(); scrollDown(); }
    };
    launcher.addEventListener("click", () => setOpen(true));
    minimize.addEventListener("click", () => { setOpen(false); launcher.focus(); });
    root.addEventListener("keydown", (event) => { if (event.key === "Escape") { setOpen(false); launcher.focus(); } });
    setOpen(sessionStorage.getItem("helpdesk.chat.open") === "1");
  }

  connection = HelpdeskSocket.connect({
    path: `${root.dataset.wsPath}?lang=${encodeURIComponent(root.dataset.lang)}`,
    jitter: true,
    handlers,
    interrupted: realtimeInterrupted,
    restored: realtimeRestored,
    opened() {
      state.connected = true;
      state.needResume = true;
      sentOnThisConnection = new Set();
      setBanner("");
      updateSendable();
    },
    closed() {
      state.connected = false;
      transcript.stopPolling();
      updateSendable();
      setBanner(strings.reconnecting);
    },
  });
})();
