// Starts but never reports ready.
setInterval(() => {}, 1000);
