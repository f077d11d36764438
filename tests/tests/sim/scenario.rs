//! Random scenarios: everything about one run (configuration, routes, credentials, the
//! server's faults, what each client does and how the run ends) is drawn from its seed up
//! front, so a seed names a run exactly.

use core::fmt;
use core::time::Duration;

use sls_producer_core::config::{Compression, Jitter, SignatureVersion};
use sls_producer_core::sim::SimRng;
use sls_producer_core::{Buckets, Log, ProducerConfig, Route, ShardKey};

use crate::credentials::ProviderPlan;
use crate::server::{Fault, FaultProfile};
use crate::support::log_with_id;

/// Where a route sends.
#[derive(Clone, Debug)]
pub(crate) struct RouteSpec {
    pub(crate) project: &'static str,
    pub(crate) logstore: &'static str,
    pub(crate) topic: String,
    pub(crate) source: String,
    /// A hashed send's key (bucketed or verbatim, per the scenario's [`ShardPlan`]).
    pub(crate) hash: Option<String>,
}

impl RouteSpec {
    pub(crate) fn route(&self, shard: ShardPlan) -> Route {
        let route = Route::new(self.project, self.logstore)
            .expect("valid names")
            .with_topic(&self.topic)
            .with_source(&self.source);
        match &self.hash {
            Some(hash) if shard.bucketed => route.with_shard_key(ShardKey::bucketed(
                hash,
                Buckets::new(shard.buckets).expect("a power of two up to 256"),
            )),
            Some(hash) => route.with_shard_key(ShardKey::exact(hash)),
            None => route,
        }
    }
}

/// How the routes' hashes become shard keys (the Go producer's `AdjustShargHash` and
/// `Buckets`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShardPlan {
    /// Bucket each hash ([`ShardKey::bucketed`]) instead of sending it verbatim
    /// ([`ShardKey::exact`]).
    pub(crate) bucketed: bool,
    /// Buckets, when bucketed.
    pub(crate) buckets: u32,
}

/// Where the producer's credentials come from.
#[derive(Clone, Debug)]
pub(crate) enum CredentialsPlan {
    /// One long-lived AccessKey.
    Static,
    /// A [`RotatingProvider`](crate::credentials::RotatingProvider).
    Rotating(ProviderPlan),
}

/// How a send learns its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notify {
    /// Not at all (counted in the stats only).
    None,
    /// A callback.
    Callback,
    /// A completion handle, awaited by a watcher task.
    Handle,
    /// A completion handle dropped at once (the send goes on).
    DroppedHandle,
}

impl Notify {
    /// Whether the engine holds a tag (and hands logs back) for the send.
    pub(crate) fn tagged(self) -> bool {
        self != Self::None
    }

    /// Whether the suite sees the outcome.
    pub(crate) fn observed(self) -> bool {
        matches!(self, Self::Callback | Self::Handle)
    }
}

/// How a send hands its logs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One `Log`.
    Log,
    /// A list (one outcome for all of its logs, possibly none).
    List,
}

/// One send.
#[derive(Clone, Debug)]
pub(crate) struct SendSpec {
    pub(crate) route: usize,
    pub(crate) logs: Vec<Log>,
    /// How the logs are handed to the producer.
    pub(crate) shape: Shape,
    pub(crate) notify: Notify,
    /// `send_async*` (waits up to `max_block` for room) instead of `send*`.
    pub(crate) wait_for_room: bool,
}

/// One step of a client.
#[derive(Clone, Debug)]
pub(crate) enum Action {
    Sleep(Duration),
    Send(SendSpec),
    Flush {
        wait: bool,
    },
    Close {
        timeout: Option<Duration>,
        wait: bool,
    },
    /// Drop the driver future (a runtime shutting down): every pending send fails at once.
    DropDriver,
}

/// How the run ends once every client is done.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Finale {
    /// `close(timeout).await`.
    Close(Option<Duration>),
    /// Drop every `Producer` handle, then wait for the driver to complete.
    DropHandles,
    /// Drop the driver future.
    DropDriver,
}

/// A whole run.
#[derive(Clone)]
pub(crate) struct Scenario {
    pub(crate) seed: u64,
    pub(crate) config: ProducerConfig,
    pub(crate) routes: Vec<RouteSpec>,
    pub(crate) shard: ShardPlan,
    pub(crate) credentials: CredentialsPlan,
    pub(crate) faults: FaultProfile,
    pub(crate) clients: Vec<Vec<Action>>,
    pub(crate) finale: Finale,
    /// Compression helpers spawned next to the driver.
    pub(crate) helpers: usize,
}

impl fmt::Debug for Scenario {
    /// Everything but the log contents (which are only ids and padding).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario seed {}", self.seed)?;
        writeln!(f, "  config: {:?}", self.config)?;
        writeln!(f, "  routes: {:?}", self.routes)?;
        writeln!(f, "  shard keys: {:?}", self.shard)?;
        writeln!(f, "  credentials: {:?}", self.credentials)?;
        writeln!(f, "  faults: {:?}", self.faults)?;
        writeln!(f, "  compression helpers: {}", self.helpers)?;
        for (i, actions) in self.clients.iter().enumerate() {
            writeln!(f, "  client {i}:")?;
            for a in actions {
                match a {
                    Action::Send(s) => writeln!(
                        f,
                        "    send route={} {:?} logs={:?} notify={:?} async={}",
                        s.route,
                        s.shape,
                        s.logs.iter().map(crate::support::id_of).collect::<Vec<_>>(),
                        s.notify,
                        s.wait_for_room
                    )?,
                    other => writeln!(f, "    {other:?}")?,
                }
            }
        }
        write!(f, "  finale: {:?}", self.finale)
    }
}

/// Salt so that scenario draws differ from the sim runtime's own use of the seed.
const GENERATOR_SALT: u64 = 0x5C3E_A1A0_0000_0001;

impl Scenario {
    /// The scenario named by `seed`.
    pub(crate) fn generate(seed: u64) -> Self {
        let mut g = Gen {
            rng: SimRng::new(seed ^ GENERATOR_SALT),
            next_id: 0,
        };
        let (config, shard) = g.config();
        let routes = g.routes();
        let credentials = g.credentials();
        let faults = g.faults(matches!(credentials, CredentialsPlan::Rotating(_)));
        let clients = g.clients(&config, routes.len());
        let finale = match g.rng.below(40) {
            0..=17 => Finale::Close(None),
            18..=35 => Finale::Close(Some(g.duration(Duration::from_secs(10)))),
            36..=38 => Finale::DropHandles,
            _ => Finale::DropDriver,
        };
        // Drawn last, so that every earlier draw of a seed is what it was before helpers.
        let helpers = g.rng.below(3) as usize;
        Self {
            seed,
            config,
            routes,
            shard,
            credentials,
            faults,
            clients,
            finale,
            helpers,
        }
    }
}

struct Gen {
    rng: SimRng,
    next_id: u64,
}

impl Gen {
    fn ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.rng.below(hi - lo + 1))
    }

    /// Up to `max`, at millisecond resolution.
    fn duration(&mut self, max: Duration) -> Duration {
        self.ms(0, max.as_millis() as u64)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *self.rng.pick(items).expect("not empty")
    }

    fn config(&mut self) -> (ProducerConfig, ShardPlan) {
        let v4 = self.rng.chance(1, 10);
        let endpoint = if v4 || self.rng.chance(1, 4) {
            "cn-hangzhou.log.aliyuncs.com"
        } else {
            "http://127.0.0.1:8080"
        };
        let max_batch_bytes = 1024 + self.rng.below(15 * 1024) as usize;
        let max_batch_count = if self.rng.chance(2, 5) {
            1 + self.rng.below(8) as usize
        } else {
            1 + self.rng.below(64) as usize
        };
        // Often just one batch's worth, so that sends run into a full budget.
        let memory_budget = if self.rng.chance(2, 5) {
            max_batch_bytes + self.rng.below(512) as usize
        } else {
            max_batch_bytes * (1 + self.rng.below(5) as usize) + self.rng.below(2048) as usize
        };
        let base = self.ms(1, 300);
        let max = (base * (1 + self.rng.below(20) as u32))
            .min(Duration::from_secs(5))
            .max(base);
        let jitter = self.pick(&[Jitter::None, Jitter::Full, Jitter::Equal]);
        let config = ProducerConfig::new(endpoint)
            .with_max_batch_bytes(max_batch_bytes)
            .with_max_batch_count(max_batch_count)
            .with_memory_budget(memory_budget)
            .with_max_in_flight(1 + self.rng.below(6) as usize)
            .with_linger(self.ms(1, 3000))
            .with_max_retries(self.rng.below(7) as u32)
            .with_max_reserved_attempts(1 + self.rng.below(12) as usize)
            .with_retry_backoff(base, max)
            .with_jitter(jitter)
            .with_max_block(if self.rng.chance(3, 10) {
                Duration::ZERO
            } else {
                self.ms(1, 5000)
            })
            .with_compression(self.pick(&[
                Compression::Lz4,
                Compression::Lz4,
                Compression::Zstd,
                Compression::None,
            ]))
            .with_generate_pack_id(self.rng.chance(1, 2));
        // Drawn where the configuration's `adjust_shard_hash` and `buckets` were, so that
        // a seed still names the same run.
        let shard = ShardPlan {
            bucketed: self.rng.chance(1, 2),
            buckets: self.pick(&[1, 2, 16, 64, 256]),
        };
        let mut config = config.with_seed(self.rng.next_u64());
        if self.rng.chance(1, 4) {
            config = config.with_delivery_timeout(self.ms(200, 20_000));
        }
        for i in 0..self.rng.below(3) {
            config = config.with_log_tag(format!("tag{i}"), format!("value-{i}"));
        }
        config = match self.rng.below(10) {
            0 => config.with_no_retry_status_codes(vec![]),
            1 => config.with_no_retry_status_codes(vec![400, 403, 404]),
            _ => config,
        };
        if v4 {
            config = config.with_signature_version(SignatureVersion::V4);
        }
        (config, shard)
    }

    fn routes(&mut self) -> Vec<RouteSpec> {
        let many = self.rng.chance(1, 10);
        (0..1 + self.rng.below(if many { 16 } else { 4 }))
            .map(|i| RouteSpec {
                project: self.pick(&["proj", "proj-b"]),
                logstore: self.pick(&["store", "store-2"]),
                topic: if self.rng.chance(1, 2) {
                    String::new()
                } else {
                    format!("topic-{i}")
                },
                source: if self.rng.chance(1, 2) {
                    String::new()
                } else {
                    format!("10.0.0.{i}")
                },
                hash: self.rng.chance(3, 10).then(|| format!("host-{i}")),
            })
            .collect()
    }

    fn credentials(&mut self) -> CredentialsPlan {
        if self.rng.chance(1, 2) {
            return CredentialsPlan::Static;
        }
        let lifetime = match self.rng.below(5) {
            0 | 1 => None,
            2 => Some(self.ms(2_000, 20_000)),
            _ => Some(self.ms(20_000, 900_000)),
        };
        // A fetch always takes less than a quarter of a key's lifetime, so a refresh that
        // starts on time (at half the lifetime at the latest) ends before the expiry.
        let longest = lifetime.map_or(Duration::from_secs(2), |l| {
            (l / 4).min(Duration::from_secs(2))
        });
        CredentialsPlan::Rotating(ProviderPlan {
            lifetime,
            fail_per_mille: self.pick(&[0, 0, 100, 300, 800]),
            max_delay: self.pick(&[Duration::ZERO, Duration::from_millis(50), longest]),
        })
    }

    fn faults(&mut self, rotating: bool) -> FaultProfile {
        let mut weights = [0; 10];
        for w in &mut weights {
            *w = self.rng.below(5);
        }
        if weights.iter().all(|w| *w == 0) {
            weights[0] = 1;
        }
        debug_assert_eq!(weights.len(), Fault::ALL.len());
        FaultProfile {
            error_per_mille: self.pick(&[0, 20, 100, 300, 600]),
            weights,
            outage_per_mille: self.pick(&[0, 0, 5, 20]),
            outage_max: self.ms(100, 10_000),
            slow_per_mille: self.pick(&[0, 50, 300]),
            instant_per_mille: self.pick(&[0, 0, 500, 1000]),
            max_delay: self.ms(10, 8000),
            timeout_max: self.ms(500, 10_000),
            revoke_per_mille: if rotating { self.pick(&[0, 10, 50]) } else { 0 },
        }
    }

    fn clients(&mut self, config: &ProducerConfig, routes: usize) -> Vec<Vec<Action>> {
        let linger = config.linger;
        let mut clients: Vec<Vec<Action>> = (0..1 + self.rng.below(3))
            .map(|_| {
                (0..1 + self.rng.below(25))
                    .map(|_| match self.rng.below(100) {
                        0..=59 => Action::Send(self.send(config, routes)),
                        60..=89 => Action::Sleep(match self.rng.below(3) {
                            0 => self.duration(Duration::from_millis(50)),
                            1 => self.duration(linger * 2),
                            _ => self.duration(Duration::from_secs(10)),
                        }),
                        _ => Action::Flush {
                            wait: self.rng.chance(2, 3),
                        },
                    })
                    .collect()
            })
            .collect();
        // A close in the middle of the run, racing the other clients' sends.
        for _ in 0..self.pick(&[0, 0, 0, 1, 1, 2]) {
            let client = self.rng.below(clients.len() as u64) as usize;
            let len = clients[client].len() as u64;
            // Mostly late in the client's script, so that most sends come before it.
            let at = (len - self.rng.below(len / 3 + 1)) as usize;
            let timeout = self
                .rng
                .chance(2, 3)
                .then(|| self.duration(Duration::from_secs(8)));
            let wait = self.rng.chance(1, 2);
            clients[client].insert(at, Action::Close { timeout, wait });
        }
        if self.rng.chance(1, 40) {
            let client = self.rng.below(clients.len() as u64) as usize;
            let at = self.rng.below(clients[client].len() as u64 + 1) as usize;
            clients[client].insert(at, Action::DropDriver);
        }
        clients
    }

    fn send(&mut self, config: &ProducerConfig, routes: usize) -> SendSpec {
        let shape = match self.rng.below(10) {
            0..=2 => Shape::List,
            _ => Shape::Log,
        };
        let count = if shape != Shape::List {
            1
        } else {
            match self.rng.below(20) {
                0 => 0,
                1 | 2 => 10 + self.rng.below(70) as usize,
                _ => 1 + self.rng.below(5) as usize,
            }
        };
        let logs = (0..count)
            .map(|_| {
                self.next_id += 1;
                let pad = if self.rng.chance(1, 100) {
                    config.max_batch_bytes
                } else {
                    self.rng.below(400) as usize
                };
                log_with_id(self.next_id, pad)
            })
            .collect();
        SendSpec {
            route: self.rng.below(routes as u64) as usize,
            logs,
            shape,
            notify: match self.rng.below(10) {
                0 | 1 => Notify::None,
                2..=5 => Notify::Callback,
                6..=8 => Notify::Handle,
                _ => Notify::DroppedHandle,
            },
            wait_for_room: self.rng.chance(3, 10),
        }
    }
}
