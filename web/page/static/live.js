// The auction page, live. Price, leader, bid history, countdown and outcome
// follow the auction's events, each applied once and in seq order. Events come
// over the WebSocket /api/v1/auctions/{id}/live?since=N; while it cannot be
// opened (or after it drops) the page polls /events?since=N every second and
// keeps trying the socket. The countdown runs on the server's clock.
'use strict';

(() => {
  const A = G.auction;
  const $ = id => document.getElementById(id);
  const S = {
    seq: A.seq, status: A.status, price: A.current_price, leader: A.leader_code, bids: A.bid_count,
    startsAt: Date.parse(A.starts_at), endsAt: Date.parse(A.ends_at), reason: A.suspended_reason || '',
  };
  // offset is the server's clock minus the browser's.
  let offset = Date.parse(A.server_time) - Date.now();
  let socket = null;
  let live = false;
  let failures = 0;
  let pollTimer = null;
  let fetching = false;
  // replies holds the bids sent on the socket, by idempotency key, until
  // their answer (or the socket's end) comes.
  const replies = new Map();
  // socketWait is how long a bid sent on the socket may go unanswered before
  // it is sent again over HTTP.
  const socketWait = 5000;

  const mine = code => Boolean(A.my_code) && code === A.my_code;
  const nextAmount = () => (S.price === null ? A.start_price : S.price + A.increment);
  const finished = () => ['settled', 'failed', 'defaulted', 'cancelled', 'annulled'].includes(S.status);

  function render() {
    $('price').textContent = money(S.price === null ? A.start_price : S.price);
    $('price-label').textContent = t(S.price === null ? 'js.price_start' : 'js.price_now');
    $('leader').textContent = S.leader ? S.leader + (mine(S.leader) ? t('js.me') : '') : '—';
    $('bid-count').textContent = S.bids;
    $('ends-at').textContent = fmtTime(S.endsAt);
    $('ends-at').dateTime = new Date(S.endsAt).toISOString();
    $('status-badge').textContent = t('status.' + S.status);
    $('status-badge').className = 'badge status-' + S.status;
    if (!$('bid-panel')) return;
    // A suspended auction keeps its panel, every control disabled, with
    // the court's reason: the bidder sees why they cannot bid.
    const open = S.status === 'bidding';
    $('bid-panel').hidden = !open && S.status !== 'suspended';
    $('bid-wait').hidden = S.status !== 'announced';
    $('suspended-note').hidden = S.status !== 'suspended';
    $('suspended-note').textContent = t('js.suspended') + (S.reason ? ': ' + S.reason : '');
    $('bid-amount').disabled = !open;
    const next = $('bid-next');
    next.disabled = mine(S.leader) || !open;
    next.classList.toggle('leading', mine(S.leader));
    next.textContent = mine(S.leader) ? t('js.you_lead') : t('js.bid_at', money(nextAmount()));
    // The outbid banner stays until the bidder leads again or bidding ends.
    if (mine(S.leader) || S.status !== 'bidding') $('outbid').hidden = true;
    const match = $('bid-match');
    match.hidden = A.my_rank === null || A.my_rank === undefined || S.price === null || mine(S.leader);
    match.textContent = t('js.match_at', money(S.price));
    $('bid-amount').placeholder = String(nextAmount() / 100);
  }

  function countdown() {
    const now = Date.now() + offset;
    let ms;
    if (S.status === 'announced') {
      $('cd-label').textContent = t('js.to_start');
      ms = S.startsAt - now;
    } else if (S.status === 'bidding') {
      $('cd-label').textContent = t('js.to_end');
      ms = S.endsAt - now;
    } else {
      $('cd-label').textContent = t('js.countdown');
      $('countdown').textContent = S.status === 'sold' || finished() ? t('js.ended') : '—';
      return;
    }
    $('countdown').textContent = ms > 0 ? clock(ms) : t(S.status === 'bidding' ? 'js.closing' : 'js.opening');
  }

  // announce shows and speaks (assertively) what everyone must notice:
  // opening, extension, close.
  function announce(text) {
    const el = $('announce');
    el.textContent = '';
    el.classList.add('show');
    setTimeout(() => { el.textContent = text; }, 60);
  }

  // say tells screen readers, politely, how the price moved.
  function say(text) { $('sr-price').textContent = text; }

  function addBid(ev) {
    const d = ev.data;
    const tr = document.createElement('tr');
    if (mine(d.bidder_code)) tr.className = 'mine';
    for (const text of [S.bids, d.bidder_code + (mine(d.bidder_code) ? t('js.me') : ''), money(d.amount), fmtTime(ev.at), d.priority ? t('js.yes') : '—']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const body = $('history');
    body.prepend(tr);
    while (body.rows.length > 50) body.lastElementChild.remove();
    $('no-bids').hidden = true;
    $('price').classList.remove('flash');
    void $('price').offsetWidth; // restart the highlight animation
    $('price').classList.add('flash');
  }

  async function showOutcome(d) {
    $('outcome').hidden = false;
    if (d.outcome !== 'sold') {
      $('outcome-text').textContent = t('js.closed_failed');
      announce(t('js.closed_failed'));
      return;
    }
    const text = t('js.closed_sold', money(d.hammer_price), d.winner_code);
    $('outcome-text').textContent = text;
    announce(text);
    if (mine(d.winner_code)) {
      $('won').hidden = false;
      $('won').textContent = t('js.won_owe', money(d.hammer_price), money(Math.max(0, d.hammer_price - (A.my_deposit || 0))),
        d.balance_due_at ? fmtTime(d.balance_due_at) : '—');
    } else if (A.my_code && $('lost')) {
      $('lost').hidden = false;
      $('lost').textContent = t('js.lost_refund', money(d.hammer_price), money(A.my_deposit || 0), fmtTime(S.endsAt + 24 * 3600 * 1000));
    }
    const r = await api('GET', `/api/v1/auctions/${A.id}/confirmation`);
    if (!r.ok) return;
    $('conf-buyer').textContent = r.data.buyer_name;
    $('conf-code').textContent = r.data.bidder_code;
    $('conf-price').textContent = money(r.data.hammer_price);
    $('conf-closed').textContent = fmtTime(r.data.closed_at);
    $('conf-hash').textContent = r.data.record_hash || '';
    $('confirmation').hidden = false;
  }

  // apply takes one event; false when it is not the next one (the missing
  // ones are fetched first).
  function apply(ev) {
    if (ev.seq <= S.seq) return true;
    if (ev.seq !== S.seq + 1) {
      catchUp();
      return false;
    }
    S.seq = ev.seq;
    const d = ev.data || {};
    switch (ev.type) {
      case 'opened':
        S.status = 'bidding';
        announce(t('js.opened'));
        sync();
        break;
      case 'bid': {
        const wasMine = mine(S.leader);
        S.price = d.amount;
        S.leader = d.bidder_code;
        S.bids += 1;
        if (d.ends_at) S.endsAt = Date.parse(d.ends_at);
        addBid(ev);
        if (!mine(d.bidder_code) && $('bid-msg')) $('bid-msg').textContent = '';
        say(t('js.new_bid', money(d.amount), d.bidder_code) + (wasMine && !mine(d.bidder_code) ? '. ' + t('js.outbid') : ''));
        if (wasMine && !mine(d.bidder_code) && $('outbid')) {
          // Seen, not only heard: a banner below the bid button (it never
          // moves the button), restarted so a second outbid is noticed too.
          $('outbid').textContent = t('js.outbid_now', money(d.amount));
          $('outbid').hidden = false;
          $('outbid').classList.remove('flash');
          void $('outbid').offsetWidth;
          $('outbid').classList.add('flash');
        }
        break;
      }
      case 'extended':
        S.endsAt = Date.parse(d.ends_at);
        announce(t('js.extended', fmtTime(S.endsAt)));
        sync();
        break;
      case 'closed':
        S.status = d.outcome === 'sold' ? 'sold' : 'failed';
        if ($('bid-msg')) $('bid-msg').textContent = '';
        showOutcome(d);
        break;
      case 'settled':
        S.status = 'settled';
        announce(t('js.settled'));
        break;
      case 'defaulted':
        S.status = 'defaulted';
        announce(t('js.defaulted'));
        break;
      case 'suspended':
        S.status = 'suspended';
        S.reason = d.reason || '';
        announce(t('js.suspended') + (S.reason ? ': ' + S.reason : ''));
        break;
      case 'resumed':
        // Back to bidding, or to waiting when it was suspended before its
        // start (an `opened` event follows when the start has passed).
        S.status = Date.now() + offset < S.startsAt ? 'announced' : 'bidding';
        S.reason = '';
        if (d.ends_at) S.endsAt = Date.parse(d.ends_at);
        announce(t('js.resumed'));
        sync();
        break;
      case 'cancelled':
        S.status = 'cancelled';
        announce(t('js.cancelled') + (d.reason ? ': ' + d.reason : ''));
        break;
      case 'annulled':
        S.status = 'annulled';
        announce(t('js.annulled') + (d.reason ? ': ' + d.reason : ''));
        break;
      case 'corrected':
        announce(t('js.corrected', d.version) + (d.reason ? ': ' + d.reason : ''));
        break;
    }
    render();
    countdown();
    return true;
  }

  // catchUp reads the events after the last one applied.
  async function catchUp() {
    if (fetching) return;
    fetching = true;
    try {
      for (;;) {
        const r = await api('GET', `/api/v1/auctions/${A.id}/events?since=${S.seq}`);
        if (!r.ok) return;
        for (const ev of r.data.events) if (!apply(ev)) break;
        if (!r.data.more) return;
      }
    } finally {
      fetching = false;
    }
  }

  // sync re-reads the server's clock (and catches up when behind): on load,
  // when the socket (re)opens, after sleep and on each change of the end.
  async function sync() {
    const sent = Date.now();
    const r = await api('GET', `/api/v1/auctions/${A.id}`);
    if (!r.ok) return;
    offset = Date.parse(r.data.server_time) - (sent + Date.now()) / 2;
    if (typeof r.data.watchers === 'number') $('watchers').textContent = r.data.watchers;
    if (r.data.seq > S.seq) catchUp();
    countdown();
  }

  function setMode(mode) {
    $('conn').dataset.mode = mode;
    $('conn').textContent = t(mode === 'ws' ? 'js.live_ws' : 'js.live_poll');
  }

  // poll runs one loop at a time: pollTimer is set from start to stop.
  function poll() {
    if (live) {
      pollTimer = null;
      return;
    }
    pollTimer = -1;
    catchUp().finally(() => {
      pollTimer = live ? null : setTimeout(poll, finished() ? 10000 : 1000);
    });
  }

  function startPolling() {
    setMode('poll');
    if (pollTimer === null) poll();
  }

  function connect() {
    if (socket) return;
    let opened = false;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/v1/auctions/${encodeURIComponent(A.id)}/live?since=${S.seq}`;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      socket = null;
      startPolling();
      return;
    }
    socket.onopen = () => {
      opened = true;
      live = true;
      failures = 0;
      clearTimeout(pollTimer);
      pollTimer = null;
      setMode('ws');
      sync();
    };
    socket.onmessage = m => {
      let f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.seq !== undefined) {
        apply(f);
        return;
      }
      if ((f.type === 'bid_result' || f.type === 'error') && replies.has(f.idempotency_key)) {
        replies.get(f.idempotency_key)(f);
        return;
      }
      if (typeof f.watchers === 'number') $('watchers').textContent = f.watchers;
      // A greeting carries the server's time: a first estimate until sync.
      if (f.type === 'hello' && f.server_time) offset = Date.parse(f.server_time) - Date.now();
    };
    socket.onclose = () => {
      socket = null;
      live = false;
      // Bids still unanswered go over HTTP, with the same keys.
      for (const answer of [...replies.values()]) answer(null);
      if (!opened) failures++;
      startPolling();
      setTimeout(connect, opened ? 1000 : Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
    };
  }

  // socketBid sends a bid on the open socket, which answers it at once
  // without a request of its own, and resolves with the answer as api()
  // gives it, or with null when the socket cannot answer: not open (or the
  // page is signed out, and only a signed-in page's socket carries a
  // session), closed before the answer, silent for socketWait, or a fault of
  // the server that HTTP retries.
  function socketBid(amount, key) {
    if (!G.csrf || !live || !socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve(null);
    const ws = socket;
    return new Promise(resolve => {
      const timer = setTimeout(() => answer(null), socketWait);
      function answer(f) {
        clearTimeout(timer);
        replies.delete(key);
        if (f && f.type === 'bid_result') {
          resolve({ok: true, status: 201, data: f, error: null});
        } else if (f && !['internal', 'service_unavailable', 'unauthenticated'].includes(f.error.code)) {
          resolve({ok: false, status: 0, data: f, error: f.error});
        } else {
          resolve(null);
        }
      }
      replies.set(key, answer);
      try {
        ws.send(JSON.stringify({type: 'bid', amount, idempotency_key: key}));
      } catch (e) {
        answer(null);
      }
    });
  }

  // Bidding, on the live socket when it is open, else (or when it does not
  // answer) over HTTP. A lost answer is sent again with the same
  // Idempotency-Key, on either way, so a retry never places a second bid.
  async function bid(amount) {
    const msg = $('bid-msg');
    msg.textContent = t('js.working');
    msg.className = 'msg';
    const buttons = $('bid-panel').querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    const key = randomKey();
    let r = await socketBid(amount, key);
    for (let i = 0; !r; i++) {
      const h = await api('POST', `/api/v1/auctions/${A.id}/bids`, {amount}, {'Idempotency-Key': key});
      if ((h.status !== 0 && h.status < 500) || i === 2) r = h;
      else await new Promise(res => setTimeout(res, 400 * (i + 1)));
    }
    buttons.forEach(b => { b.disabled = false; });
    const st = r.data && r.data.auction;
    if (st && st.seq > S.seq) {
      Object.assign(S, {price: st.current_price, leader: st.leader_code, endsAt: Date.parse(st.ends_at), status: st.status});
      catchUp();
    }
    render();
    if (r.ok) {
      msg.textContent = t('js.bid_ok', money(amount));
      msg.className = 'msg ok';
      $('bid-amount').value = '';
      return;
    }
    const code = r.error.code;
    msg.textContent = code === 'bid_too_low' || code === 'bid_not_on_increment' ? t('err.' + code, money(nextAmount())) : errorText(r.error);
    msg.className = 'msg error';
  }

  if ($('bid-panel')) {
    $('bid-form').querySelector('button[type="submit"]').disabled = false;
    $('bid-next').addEventListener('click', () => bid(nextAmount()));
    $('bid-match').addEventListener('click', () => bid(S.price));
    // A typed amount ten steps or more above the next one (a slip of a
    // zero) must be sent twice: the first submit only says how far above.
    let confirming = null;
    $('bid-form').addEventListener('submit', ev => {
      ev.preventDefault();
      const fen = parseYuan($('bid-amount').value);
      if (fen === null) {
        $('bid-msg').textContent = t('err.money');
        $('bid-msg').className = 'msg error';
        return;
      }
      const next = nextAmount();
      if (fen >= next + 10 * A.increment && confirming !== fen) {
        confirming = fen;
        $('bid-msg').textContent = t('js.confirm_high', money(fen), money(next));
        $('bid-msg').className = 'msg error';
        return;
      }
      confirming = null;
      bid(fen);
    });
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    sync();
    if (!socket) connect();
  });
  window.addEventListener('online', () => {
    sync();
    if (!socket) connect();
  });

  render();
  countdown();
  setInterval(countdown, 250);
  setInterval(sync, 15000);
  setMode('poll');
  connect();
  sync();
})();
