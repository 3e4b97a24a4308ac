// The image's apps (examples/docker/Dockerfile): examples/hello/app.js as a
// cluster on port 3000. `docker run IMAGE ecosystem.config.js -i max` sizes
// it to the container's CPU limit.
module.exports = {
  apps: [
    {
      name: 'hello',
      script: 'app.js',
      instances: 2,
      exec_mode: 'cluster',
      env: { PORT: '3000' },
      // the app closes its server on SIGINT (drover's default kill_signal)
      kill_timeout: 5000,
    },
  ],
};
