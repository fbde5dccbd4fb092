module.exports = async () => ({ status: 200, body: "hello v2\n" });
