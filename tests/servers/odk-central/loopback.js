// Preloaded into the backend (node -r): run-server.js listens on a port alone, which
// means every interface; a test server must only be reachable from this machine.
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
  const portOnly = /^\d+$/.test(String(port)) && typeof rest[0] !== 'string';
  return portOnly ? listen.call(this, port, '127.0.0.1', ...rest) : listen.call(this, port, ...rest);
};
