#!/usr/bin/env node
// A local SMTP server for trying `lettermerge send` without sending anything anywhere: it accepts
// every message on 127.0.0.1 and prints one line for each, with the message's subject as a reader
// sees it. Uses smtp-server and mailparser (dev dependencies).
//   node scripts/dev-smtp-server.js [port]        (default port 2525; Ctrl-C to stop; --port N also works)
'use strict';
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const args = process.argv.slice(2);
const given = args[0] === '--port' ? args[1] : (args[0] ?? '').replace(/^--port=/, '');
const port = given === '' || given === undefined ? 2525 : Number(given);
if (!Number.isInteger(port) || port < 0 || port > 65535 || args.length > (args[0] === '--port' ? 2 : 1)) {
  console.error(`Usage: node scripts/dev-smtp-server.js [port]   (a port from 0 to 65535; default 2525; got ${JSON.stringify(args.join(' '))})`);
  process.exit(2);
}
let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    let bytes = 0;
    // The message's header, to show its subject as a reader sees it ("Invitación…", not
    // "=?UTF-8?Q?Invitaci=C3=B3n…").
    let head = '';
    stream.on('data', (chunk) => {
      bytes += chunk.length;
      if (head.length < 65536 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1');
    });
    stream.on('end', async () => {
      const n = ++count;
      const end = head.indexOf('\r\n\r\n');
      const subject = await simpleParser(Buffer.from(end >= 0 ? head.slice(0, end + 4) : head, 'latin1')).then(
        (mail) => mail.subject ?? '',
        () => '',
      );
      console.log(`#${n} from ${session.envelope.mailFrom.address} to ${session.envelope.rcptTo.map((r) => r.address).join(', ')} (${bytes} bytes) ${subject}`);
      callback();
    });
  },
});
// A client that goes away mid-message (a send stopped with kill -9, say) is told and the server
// keeps running; a port that cannot be used stops it with a message.
server.on('error', (err) => {
  if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
    console.error(`Cannot listen on 127.0.0.1:${port} (${err.code}); give another port: node scripts/dev-smtp-server.js 2526`);
    process.exit(1);
  }
  console.log(`(a client went away: ${err.code || err.message})`);
});
server.listen(port, '127.0.0.1', () => console.log(`Test SMTP server on smtp://127.0.0.1:${port} — accepts everything, delivers nothing.`));
