module.exports = async function (context) {
  return { status: 200, body: "hello from a fission spec\n" };
};
