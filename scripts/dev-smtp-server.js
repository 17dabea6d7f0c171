#!/usr/bin/env node
// A local SMTP server for trying `lettermerge send` without sending anything anywhere: it accepts
// every message on 127.0.0.1 and prints one line for each. Uses smtp-server (a dev dependency).
//   node scripts/dev-smtp-server.js [port]        (default port 2525; Ctrl-C to stop; --port N also works)
'use strict';
const { SMTPServer } = require('smtp-server');

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
    let subject = '';
    stream.on('data', (chunk) => {
      bytes += chunk.length;
      if (!subject) subject = (/^Subject: (.*)$/m.exec(chunk.toString('latin1')) || [])[1] || '';
    });
    stream.on('end', () => {
      count++;
      console.log(`#${count} from ${session.envelope.mailFrom.address} to ${session.envelope.rcptTo.map((r) => r.address).join(', ')} (${bytes} bytes) ${subject}`);
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
