/*
 * The agent console: one conversation over /ws/agent/<id>/. Replays the transcript from the database (resume),
 * then follows it live: customer messages with their sentiment, the assistant's answers and tool calls, typing.
 * Take over / Resolve / Hand back are frames; the server decides (two agents cannot take one conversation).
 * The socket (socket.js) and the transcript's seq bookkeeping (transcript.js) are shared with the widget.
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
  const errorBox = $("error");
  const transcript = HelpdeskTranscript(list, { send });
  const { item, bubble, once } = transcript;
  let connection = null;
  const state = { resumed: false, typingTimer: null, lastTyping: 0 };
  const STATUS_LABELS = { bot: "With the assistant", waiting: "Waiting for a person", agent: "With an agent",
                          closed: "Closed" };

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
      if (transcript.lastSeq === 0 && !state.resumed) {
        state.resumed = true;
        transcript.resume();
      }
    },
    "customer.message"(frame) {
      if (!once("m" + frame.seq)) return;
      const li = item("customer", frame.seq);
      meta(li, "Customer", sentimentBadge(frame.sentiment));
      bubble(li, frame.text);
      transcript.saw(frame.seq);
    },
    sentiment(frame) {
      const li = list.querySelector(`li.customer[data-seq="${frame.seq}"] .meta`);
      if (li) {
        li.querySelectorAll(".sentiment, .flag").forEach((el) => el.remove());
        li.appendChild(sentimentBadge(frame));
      }
    },
    "assistant.delta"(frame) {
      transcript.delta(frame, () => {
        const li = item("assistant", frame.seq);
        meta(li, "Alex (assistant)");
        return bubble(li, "");
      });
    },
    "assistant.message"(frame) {
      if (!once("m" + frame.seq)) return;
      transcript.saw(frame.seq);
      const draft = transcript.drafts.get(frame.seq);
      if (frame.html) {
        if (!transcript.finish(frame.seq, frame.html)) {
          const li = item("assistant", frame.seq); meta(li, "Alex (assistant)"); bubble(li, null, frame.html);
        }
      } else if (draft) {
        draft.parentElement.remove();
        transcript.drafts.delete(frame.seq);
      }
      (frame.tools || []).forEach((tool) => {
        const li = item("tool", frame.seq);
        li.textContent = `→ ${tool.name} ${JSON.stringify(tool.input)}`;
      });
    },
    "tool.result"(frame) {
      if (!once("t" + frame.seq)) return;
      transcript.saw(frame.seq);
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
      transcript.saw(frame.seq);
    },
    "agent.joined"(frame) {
      if (!once("m" + frame.seq)) return;
      item("notice", frame.seq).textContent = `${frame.name} joined the conversation`;
      transcript.saw(frame.seq);
    },
    notice(frame) {
      if (frame.seq && !once("m" + frame.seq)) return;
      item("notice", frame.seq).textContent = frame.text;
      transcript.saw(frame.seq);
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
    error: showError,
  };

  function showError(frame) {
    errorBox.textContent = frame.message;
    errorBox.hidden = false;
  }

  function send(frame) { return connection ? connection.send(frame) : false; }

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

  connection = HelpdeskSocket.connect({
    path: root.dataset.wsPath,
    finalCodes: [4403, 4404],
    handlers,
    interrupted(frame) {
      showError(frame);
      // Live updates are down: replay from the database every few seconds until the server says they are back.
      $("connection").textContent = "Live updates interrupted";
      transcript.poll();
    },
    restored() {
      transcript.stopPolling();
      errorBox.hidden = true;
      $("connection").textContent = "Live";
    },
    opened() {
      $("connection").textContent = "Live";
      if (state.resumed) transcript.resume();
    },
    closed() {
      transcript.stopPolling();
      $("connection").textContent = "Reconnecting…";
    },
    final(code) { $("connection").textContent = code === 4403 ? "Not allowed" : "Not found"; },
  });
})();
