//! A credentials provider that rotates STS keys: every successful fetch issues a new key
//! (registered with the simulated server, valid until its expiry), some fetches fail, and
//! fetches take simulated time.

use std::sync::{Arc, Mutex};

use core::time::Duration;

use async_trait::async_trait;
use sls_producer_core::credentials::{Credentials, CredentialsError, CredentialsProvider};
use sls_producer_core::rt::Timer;
use sls_producer_core::sim::SimRng;

use crate::server::Server;
use crate::support::{Stamp, Stamper};

/// How the provider behaves.
#[derive(Clone, Debug)]
pub(crate) struct ProviderPlan {
    /// Lifetime of each issued key; `None` for keys that never expire.
    pub(crate) lifetime: Option<Duration>,
    /// Chance, per mille, that a fetch fails.
    pub(crate) fail_per_mille: u64,
    /// Longest fetch.
    pub(crate) max_delay: Duration,
}

/// One fetch, as the provider saw it.
#[derive(Clone, Debug)]
pub(crate) struct Fetch {
    pub(crate) started: Stamp,
    /// When the fetch future finished (the driver installs the result at once); `None` if
    /// it was dropped before.
    pub(crate) finished: Option<Stamp>,
    /// The key issued, `None` for a failed fetch.
    pub(crate) key_id: Option<String>,
}

struct State {
    rng: SimRng,
    issued: u32,
    fetches: Vec<Fetch>,
}

/// See the module docs.
pub(crate) struct RotatingProvider {
    plan: ProviderPlan,
    timer: Arc<dyn Timer>,
    server: Arc<Mutex<Server>>,
    stamper: Stamper,
    state: Arc<Mutex<State>>,
}

impl RotatingProvider {
    pub(crate) fn new(
        plan: ProviderPlan,
        rng: SimRng,
        timer: Arc<dyn Timer>,
        server: Arc<Mutex<Server>>,
        stamper: Stamper,
    ) -> Self {
        Self {
            plan,
            timer,
            server,
            stamper,
            state: Arc::new(Mutex::new(State {
                rng,
                issued: 0,
                fetches: Vec::new(),
            })),
        }
    }

    pub(crate) fn fetches(&self) -> Vec<Fetch> {
        self.state.lock().unwrap().fetches.clone()
    }
}

#[async_trait]
impl CredentialsProvider for RotatingProvider {
    /// Draws, records and answers at the first poll (when the driver starts the fetch).
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let (index, fails, delay, number) = {
            let mut s = self.state.lock().unwrap();
            let fails = s.rng.chance(self.plan.fail_per_mille, 1000);
            let delay = s.rng.duration_up_to(self.plan.max_delay);
            if !fails {
                s.issued += 1;
            }
            let number = s.issued;
            s.fetches.push(Fetch {
                started: self.stamper.stamp(),
                finished: None,
                key_id: None,
            });
            (s.fetches.len() - 1, fails, delay, number)
        };
        let timer = &self.timer;
        timer.sleep_until(timer.now().saturating_add(delay)).await;
        let result = if fails {
            Err(CredentialsError::new("simulated metadata service outage"))
        } else {
            let key_id = format!("STS.key-{number}");
            let token = format!("token-{number}");
            let expires = self
                .plan
                .lifetime
                .map(|l| timer.unix_time().saturating_add(l));
            self.server
                .lock()
                .unwrap()
                .issue_key(&key_id, Some(&token), expires);
            let mut c =
                Credentials::new(key_id, format!("secret-{number}")).with_security_token(token);
            if let Some(at) = expires {
                c = c.with_expiration(at);
            }
            Ok(c)
        };
        let mut s = self.state.lock().unwrap();
        let fetch = &mut s.fetches[index];
        fetch.finished = Some(self.stamper.stamp());
        fetch.key_id = result.as_ref().ok().map(|c| c.access_key_id.clone());
        result
    }
}
