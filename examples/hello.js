// The example function `fizz up` deploys at GET /hello (Fission's Node.js function contract).
module.exports = async () => ({ status: 200, body: "hello from the example function\n" });
