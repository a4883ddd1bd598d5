// The kiosk's clock and number pad, with JavaScript (site/views/kiosk.py says
// how the same works without it). Every touch and keystroke gives the person
// the whole idle time again; its last seconds ask "still there?" in a dialog
// that a touch dismisses; the server hears of the activity, so that it never
// forgets someone who is still here; the pad's keys type without a round trip.
(() => {
  'use strict';
  const dialog = document.getElementById('kiosk-still');
  if (!dialog || typeof dialog.showModal !== 'function') return;
  const ms = (name) => Number(dialog.dataset[name]) * 1000;
  const idle = ms('idle');
  const warn = ms('warn');
  const pingEvery = ms('ping');
  const count = document.getElementById('kiosk-count');
  const persian = document.documentElement.lang === 'fa';
  const digits = (n) => (persian ? String(n).replace(/\d/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[d]) : String(n));
  // The page's own request started the server's clock a moment before this one.
  let last = Date.now();
  let lastPing = last;
  let pingTimer = 0;
  let leaving = false;
  let before = null;

  // The Refresh header is for pages without this script. Stopping the page's
  // loading, once it has loaded, cancels a pending refresh; the clock below
  // decides from here on. A browser that kept it would go back at the time
  // the page announces without the script, as before.
  const takeOver = () => {
    window.stop();
    const withoutScript = document.getElementById('kiosk-note');
    const withScript = document.getElementById('kiosk-note-js');
    if (withoutScript && withScript) {
      withoutScript.hidden = true;
      withScript.hidden = false;
    }
  };
  if (document.readyState === 'complete') takeOver();
  else window.addEventListener('load', takeOver);

  const leave = () => {
    if (leaving) return;
    leaving = true;
    window.location.replace(dialog.dataset.startUrl);
  };

  // At most one sign every pingEvery, and always one after the last touch:
  // the server's deadline (its last sign plus the idle time) is never before ours.
  const ping = () => {
    pingTimer = 0;
    lastPing = Date.now();
    const body = new URLSearchParams({ csrf_token: dialog.dataset.token });
    fetch(dialog.dataset.pingUrl, { method: 'POST', body, credentials: 'same-origin' })
      .then((response) => {
        if (response.status === 205) leave();
      })
      .catch(() => {});
  };
  const schedulePing = () => {
    if (!pingTimer) pingTimer = setTimeout(ping, Math.max(0, lastPing + pingEvery - Date.now()));
  };

  const dismiss = () => {
    dialog.close();
    const back = before;
    before = null;
    // After the touch's own mousedown, which would otherwise leave the focus on the page's body.
    if (back && back.isConnected && typeof back.focus === 'function') setTimeout(() => back.focus());
  };
  const active = (event) => {
    if (leaving) return;
    last = Date.now();
    if (dialog.open) {
      // The touch or key that dismisses the dialog does nothing else.
      if (event.type === 'keydown') event.preventDefault();
      dismiss();
    }
    schedulePing();
  };
  for (const type of ['pointerdown', 'keydown', 'input', 'wheel']) {
    document.addEventListener(type, active, { capture: true, passive: type !== 'keydown' });
  }

  const tick = () => {
    const left = last + idle - Date.now();
    if (left <= 0) {
      leave();
      return;
    }
    if (left <= warn && !dialog.open) {
      before = document.activeElement;
      dialog.showModal();
    }
    if (dialog.open && count) count.textContent = digits(Math.ceil(left / 1000));
  };
  setInterval(tick, 250);

  // The big number pad: a key types into its own field, and keeps the focus.
  document.addEventListener('click', (event) => {
    const key = event.target.closest('button[name=kiosk_key]');
    if (!key || !key.form) return;
    event.preventDefault();
    const [name, what] = key.value.split(':');
    const field = key.form.elements.namedItem(name);
    if (!field) return;
    if (what === 'back') field.value = field.value.slice(0, -1);
    else if (what === 'clear') field.value = '';
    else field.value = (field.value + what).slice(0, 32);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  });
  // A field's pad opens when the field is chosen; the others close.
  document.addEventListener('focusin', (event) => {
    const pad = event.target.id ? document.getElementById(`${event.target.id}-pad`) : null;
    if (!pad || pad.open) return;
    for (const other of document.querySelectorAll('details.pad[open]')) other.open = false;
    pad.open = true;
  });
})();
