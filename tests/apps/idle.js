// A node app that never listens on any port (a queue worker, a cron-like
// job): prints one line and stays up until stopped.
console.log(`idle ${process.pid} up`);
setInterval(() => {}, 1000);
process.on('SIGINT', () => process.exit(0));
