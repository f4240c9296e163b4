/*
 * The websocket connection shared by the widget (chat.js), the agent console (console.js) and the live queue
 * (queue.js). Loaded before them; each page says what its frames do, this file keeps the socket alive:
 *
 *   const connection = HelpdeskSocket.connect({
 *     path: "/ws/…",            // on this host, ws: or wss: as the page
 *     handlers: {type(frame)},  // one per frame type; frames of other types are ignored, as is text that is no JSON
 *     interrupted(frame),       // the server lost live updates (an `error` frame with code realtime_unavailable)
 *     restored(frame),          // …and has them back (`realtime_restored`)
 *     opened(), closed(),       // every (re)connection; closed() only when it reconnects
 *     finalCodes: [4403],       // close codes that end it (not allowed, not found): final(code) instead of a retry
 *     jitter: true,             // spread the retries of many tabs (the widget)
 *   });
 *   connection.send(frame)      // JSON, only while open: false otherwise (the caller decides what waits)
 *
 * A closed socket is opened again after 0.5 s, doubling up to 10 s; a successful open starts over at 0.5 s.
 * A server process that shuts down closes its sockets with 4012 (restart): reconnect at once (within 0.25 s, to
 * spread the tabs), to another process; what this one did not send is replayed from the database on resume.
 */
(function () {
  "use strict";

  const SERVER_RESTART = 4012;

  function url(path) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}${path}`;
  }

  function connect(options) {
    const handlers = options.handlers || {};
    const finalCodes = options.finalCodes || [];
    let socket = null;
    let retries = 0;

    function dispatch(frame) {
      if (frame.type === "error" && frame.code === "realtime_unavailable") {
        if (options.interrupted) options.interrupted(frame);
        return;
      }
      if (frame.type === "realtime_restored") {
        if (options.restored) options.restored(frame);
        return;
      }
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    }

    function open() {
      socket = new WebSocket(url(options.path));
      socket.addEventListener("open", () => {
        retries = 0;
        if (options.opened) options.opened();
      });
      socket.addEventListener("message", (event) => {
        let frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        dispatch(frame);
      });
      socket.addEventListener("close", (event) => {
        if (finalCodes.includes(event.code)) {
          if (options.final) options.final(event.code);
          return;
        }
        if (options.closed) options.closed();
        if (event.code === SERVER_RESTART) {
          setTimeout(open, Math.random() * 250);
          return;
        }
        const delay = Math.min(10000, 500 * 2 ** retries) * (options.jitter ? 0.75 + Math.random() / 2 : 1);
        retries += 1;
        setTimeout(open, delay);
      });
    }

    function send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    open();
    return { send };
  }

  window.HelpdeskSocket = { url, connect };
})();
