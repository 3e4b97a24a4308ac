// A cluster worker with its own Prometheus metrics, as prom-client users
// write it: the app on PORT (shared by drover), the worker's metrics on
// METRICS_PORT (one per instance: drover sets metrics_port + instance).
// Counts the requests this worker answered. With HANG_METRICS_INSTANCE=<n>,
// instance n accepts metrics scrapes but never answers them.
const http = require('http');
const slot = process.env.NODE_APP_INSTANCE || '0';
let handled = 0;
http.createServer((req, res) => {
  handled++;
  res.end(`${process.pid}\n`);
}).listen(parseInt(process.env.PORT || '3000', 10));
http.createServer((req, res) => {
  if (req.url !== '/metrics') { res.statusCode = 404; res.end(); return; }
  if (process.env.HANG_METRICS_INSTANCE === slot) return;
  res.setHeader('Content-Type', 'text/plain; version=0.0.4');
  res.end(
    '# HELP app_requests_total Requests this worker answered.\n' +
    '# TYPE app_requests_total counter\n' +
    `app_requests_total{route="/"} ${handled}\n` +
    '# HELP app_latency_seconds A histogram.\n' +
    '# TYPE app_latency_seconds histogram\n' +
    'app_latency_seconds_bucket{le="0.1"} 1\n' +
    'app_latency_seconds_bucket{le="+Inf"} 2\n' +
    'app_latency_seconds_sum 0.3\n' +
    'app_latency_seconds_count 2\n' +
    '# HELP app_worker_info The worker.\n' +
    '# TYPE app_worker_info gauge\n' +
    `app_worker_info{instance="w${slot}",pid="${process.pid}"} 1\n`);
}).listen(parseInt(process.env.METRICS_PORT, 10), '127.0.0.1');
