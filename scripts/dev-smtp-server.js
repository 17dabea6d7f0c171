#!/usr/bin/env node
// A local SMTP server for trying `lettermerge send` without sending anything anywhere: it accepts
// every message on 127.0.0.1 and prints one line for each. Uses smtp-server (a dev dependency).
//   node scripts/dev-smtp-server.js [port]        (default port 2525; Ctrl-C to stop)
'use strict';
const { SMTPServer } = require('smtp-server');

const port = Number(process.argv[2] || 2525);
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
server.listen(port, '127.0.0.1', () => console.log(`Test SMTP server on smtp://127.0.0.1:${port} — accepts everything, delivers nothing.`));
