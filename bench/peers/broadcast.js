// A minimal broadcast server for `bench fanout`: every TICK_MS it sends every connected client
// one tick shaped like Zerolag's `crash_tick` event (same fields, same size), carrying the
// server's publish time in `at_ms`. Usage: node broadcast.js ws|socketio <port>
"use strict";

const http = require("http");

const TICK_MS = 66; // Zerolag's CRASH_TICK_MS: about 15 ticks per second.
const [kind, port] = [process.argv[2], Number(process.argv[3] || 4000)];

let seq = 0;
const started = Date.now();
function tick() {
  seq += 1;
  const elapsed = Date.now() - started;
  return {
    type: "crash_tick",
    topic: "crash",
    seq,
    at_ms: Date.now(),
    round: 123456,
    elapsed_ms: elapsed,
    multiplier_x100: 100 + Math.floor(elapsed / 100),
  };
}

const server = http.createServer((_, res) => res.end("ok"));

if (kind === "ws") {
  const { WebSocketServer, WebSocket } = require("ws");
  const wss = new WebSocketServer({ server, path: "/ws" });
  setInterval(() => {
    // Encoded once, the same string written to every client.
    const frame = JSON.stringify(tick());
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(frame);
    }
  }, TICK_MS);
} else if (kind === "socketio") {
  const { Server } = require("socket.io");
  const io = new Server(server, { transports: ["websocket"], serveClient: false });
  setInterval(() => io.emit("tick", tick()), TICK_MS);
} else {
  console.error("usage: node broadcast.js ws|socketio <port>");
  process.exit(2);
}

server.listen(port, "127.0.0.1", () => console.log(`${kind} broadcasting on ${port}`));
