/* Signup proof of work (tenants/signup_guard.py): find a number whose SHA-256 with the form's
   challenge starts with N zero bits, then send the form. A fraction of a second for a person;
   a real cost for a script. Plain JavaScript SHA-256: crypto.subtle exists only on HTTPS. */
(function () {
  "use strict";
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  function utf8(text) { return unescape(encodeURIComponent(text)); }
  function sha256FirstWord(ascii) {
    /* SHA-256 of an ASCII string; returns the first 32-bit word of the digest (enough to count up to 32 leading zero bits). */
    var bytes = ascii.length, words = [], i, j;
    for (i = 0; i < bytes; i++) words[i >> 2] |= (ascii.charCodeAt(i) & 0xff) << (24 - (i % 4) * 8);
    words[bytes >> 2] |= 0x80 << (24 - (bytes % 4) * 8);
    var total = (((bytes + 8) >> 6) + 1) * 16;
    for (i = (bytes >> 2) + 1; i < total; i++) if (words[i] === undefined) words[i] = 0;
    words[total - 1] = bytes * 8;
    var h = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19], w = new Array(64);
    for (i = 0; i < total; i += 16) {
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (j = 0; j < 64; j++) {
        if (j < 16) { w[j] = words[i + j] | 0; }
        else {
          var x = w[j - 15], y = w[j - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          w[j] = (w[j - 16] + s0 + w[j - 7] + s1) | 0;
        }
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[j] + w[j]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h[0] >>> 0;
  }
  function solve(challenge, bits, done) {
    var prefix = utf8(challenge) + ":", counter = 0, limit = bits >= 32 ? 0 : Math.pow(2, 32 - bits);
    (function batch() {
      for (var n = 0; n < 20000; n++, counter++) {
        if (sha256FirstWord(prefix + counter) < limit) { done(counter); return; }
      }
      setTimeout(batch, 0);
    })();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-challenge]");
    if (!form) return;
    var solution = form.querySelector("input[name=solution]"), status = document.getElementById("challenge-status"), busy = false;
    form.addEventListener("submit", function (event) {
      if (solution.value) return;
      event.preventDefault();
      if (busy) return;
      busy = true;
      if (status) status.textContent = "Vérification anti-robot en cours…";
      solve(form.getAttribute("data-challenge"), parseInt(form.getAttribute("data-bits"), 10), function (found) {
        solution.value = String(found);
        if (status) status.textContent = "Création de votre espace…";
        form.submit();
      });
    });
  });
})();
