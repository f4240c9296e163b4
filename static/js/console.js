/*
 * The agent console: one conversation over /ws/agent/<id>/. Replays the transcript from the database (resume),
 * then follows it live: customer messages with their sentiment, the assistant's answers and tool calls, typing.
 * Take over / Resolve / Hand back are frames; the server decides (two agents cannot take one conversation).
 */
(function () {
  "use strict";

  const root = document.getElementById("console");
  if (!root) return;
  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const transcript = $("transcript");
  const input = $("input");
  const composer = $("composer");
  const statusPill = $("status");
  const errorBox = $("error");
  const state = { socket: null, lastSeq: 0, retries: 0, drafts: new Map(), rendered: new Set(), typingTimer: null,
                  lastTyping: 0 };
  const STATUS_LABELS = { bot: "With the assistant", waiting: "Waiting for a person", agent: "With an agent",
                          closed: "Closed" };

  function scrollDown() { transcript.scrollTop = transcript.scrollHeight; }

  function item(className, seq) {
    const li = document.createElement("li");
    li.className = className;
    if (seq) li.dataset.seq = String(seq);
    transcript.appendChild(li);
    scrollDown();
    return li;
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

  function sentimentBadge(sentiment) {
    const span = document.createElement("span");
    if (!sentiment) return span;
    const score = Number(sentiment.score);
    span.className = "sentiment " + (score <= -0.3 ? "neg" : score >= 0.3 ? "pos" : "neu");
    span.textContent = (score > 0 ? "+" : "") + score.toFixed(1);
    span.title = sentiment.reason || "";
    const wrap = document.createElement("span");
    wrap.appendChild(span);
    (sentiment.flags || []).forEach((flag) => {
      const f = document.createElement("span");
      f.className = "flag";
      f.textContent = flag.replace("_", " ");
      wrap.appendChild(f);
    });
    return wrap;
  }

  function bubble(li, text, html) {
    const div = document.createElement("div");
    div.className = "bubble";
    if (html !== undefined) div.innerHTML = html; else div.textContent = text;
    li.appendChild(div);
    return div;
  }

  function once(key) {
    if (state.rendered.has(key)) return false;
    state.rendered.add(key);
    return true;
  }

  const handlers = {
    state(frame) {
      statusPill.textContent = STATUS_LABELS[frame.status] || frame.status;
      statusPill.className = "status-pill " + frame.status;
      $("holder").textContent = frame.agent && frame.status === "agent" ? `— ${frame.agent}` : "";
      const mine = Boolean(frame.mine);
      $("take").hidden = mine || frame.status === "closed";
      $("take").disabled = frame.status === "agent" && !mine;
      $("hand-back").hidden = !mine;
      $("resolve").hidden = !mine;
      composer.hidden = !mine;
      if (mine) input.focus();
      if (state.lastSeq === 0 && !state.resumed) {
        state.resumed = true;
        send({ type: "resume", last_seq: 0 });
      }
    },
    "customer.message"(frame) {
      if (!once("m" + frame.seq)) return;
      const li = item("customer", frame.seq);
      meta(li, "Customer", sentimentBadge(frame.sentiment));
      bubble(li, frame.text);
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
    },
    sentiment(frame) {
      const li = transcript.querySelector(`li.customer[data-seq="${frame.seq}"] .meta`);
      if (li) {
        li.querySelectorAll(".sentiment, .flag").forEach((el) => el.remove());
        li.appendChild(sentimentBadge(frame));
      }
    },
    "assistant.delta"(frame) {
      let draft = state.drafts.get(frame.seq);
      if (!draft) {
        if (state.rendered.has("m" + frame.seq)) return;
        const li = item("assistant", frame.seq);
        meta(li, "Alex (assistant)");
        draft = bubble(li, "");
        state.drafts.set(frame.seq, draft);
      }
      draft.textContent += frame.text;
    },
    "assistant.message"(frame) {
      if (!once("m" + frame.seq)) return;
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
      let draft = state.drafts.get(frame.seq);
      if (frame.html) {
        if (draft) { draft.innerHTML = frame.html; state.drafts.delete(frame.seq); }
        else { const li = item("assistant", frame.seq); meta(li, "Alex (assistant)"); bubble(li, null, frame.html); }
      } else if (draft) {
        draft.parentElement.remove();
        state.drafts.delete(frame.seq);
      }
      (frame.tools || []).forEach((tool) => {
        const li = item("tool", frame.seq);
        li.textContent = `→ ${tool.name} ${JSON.stringify(tool.input)}`;
      });
    },
    "tool.result"(frame) {
      if (!once("t" + frame.seq)) return;
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
      (frame.content || []).forEach((block) => {
        const li = item("tool" + (block.is_error ? " error" : ""), frame.seq);
        let text = block.content;
        try { text = JSON.stringify(JSON.parse(block.content)); } catch (e) { /* keep as is */ }
        li.textContent = `← ${block.is_error ? "refused: " : ""}${String(text).slice(0, 400)}`;
      });
    },
    "agent.message"(frame) {
      if (!once("m" + frame.seq)) return;
      const li = item("agent", frame.seq);
      meta(li, frame.name || "Agent");
      bubble(li, null, frame.html);
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
    },
    "agent.joined"(frame) {
      if (!once("m" + frame.seq)) return;
      item("notice", frame.seq).textContent = `${frame.name} joined the conversation`;
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
    },
    notice(frame) {
      if (frame.seq && !once("m" + frame.seq)) return;
      item("notice", frame.seq).textContent = frame.text;
      if (frame.seq) state.lastSeq = Math.max(state.lastSeq, frame.seq);
    },
    action(frame) {
      if (!once(`a${frame.seq}${frame.kind}`)) return;
      const details = Object.entries(frame).filter(([k]) => !["type", "seq", "kind"].includes(k))
        .map(([k, v]) => `${k}: ${v}`).join(", ");
      item("notice", frame.seq).textContent = `✔ ${frame.kind} — ${details}`;
    },
    "tool.status"(frame) { $("typing").textContent = `Assistant: ${frame.label}`; },
    typing(frame) {
      $("typing").textContent = frame.role === "customer" ? "Customer is typing…" : `${frame.name} is typing…`;
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 4000);
    },
    ack() { errorBox.hidden = true; },
    error(frame) {
      errorBox.textContent = frame.message;
      errorBox.hidden = false;
      if (frame.code === "realtime_unavailable") {
        // Live updates are down: replay from the database every few seconds until the server says they are back.
        $("connection").textContent = "Live updates interrupted";
        if (!state.polling) state.polling = setInterval(() => send({ type: "resume", last_seq: state.lastSeq }), 3000);
      }
    },
    realtime_restored() {
      clearInterval(state.polling);
      state.polling = null;
      errorBox.hidden = true;
      $("connection").textContent = "Live";
    },
  };

  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${root.dataset.wsPath}`);
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.retries = 0;
      $("connection").textContent = "Live";
      if (state.resumed) send({ type: "resume", last_seq: state.lastSeq });
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403 || event.code === 4404) {
        $("connection").textContent = event.code === 4403 ? "Not allowed" : "Not found";
        return;
      }
      clearInterval(state.polling);
      state.polling = null;
      $("connection").textContent = "Reconnecting…";
      const delay = Math.min(10000, 500 * 2 ** state.retries);
      state.retries += 1;
      setTimeout(connect, delay);
    });
  }

  function submit() {
    const text = input.value.trim();
    if (!text) return;
    const clientId = "agent-" + (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now());
    if (send({ type: "message", text, client_id: clientId })) input.value = "";
  }

  composer.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (now - state.lastTyping > 2000) { state.lastTyping = now; send({ type: "typing" }); }
  });
  $("take").addEventListener("click", () => send({ type: "take_over" }));
  $("resolve").addEventListener("click", () => send({ type: "resolve" }));
  $("hand-back").addEventListener("click", () => send({ type: "hand_back" }));

  connect();
})();
