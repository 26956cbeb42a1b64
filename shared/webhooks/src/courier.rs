//! Deliveries over HTTPS that never become a way into the network (server-side request
//! forgery): every name is resolved by a resolver that refuses the whole name when any of its
//! addresses is one the reach does not allow, at the moment of connecting (so a name that
//! changes after registration is judged again, and the address checked is the one used); an
//! address written in the URL is judged the same way; redirects are not followed; no proxy; a
//! timeout bounds each attempt; only the start of a refusal's body is read.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use tickets_domain::store::{Courier, HostResolver};
use tickets_domain::webhook::delivery::{excerpt, Answer, Outgoing, EXCERPT_MAX};
use tickets_domain::webhook::Reach;

/// What a refused address or name answers.
const INSIDE: &str = "the URL leads to this machine or a private network";

/// Names resolved by the system's resolver.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    async fn addresses(&self, host: &str) -> Option<Vec<IpAddr>> {
        let found = tokio::net::lookup_host((host, 443)).await.ok()?;
        let addresses: Vec<IpAddr> = found.map(|address| address.ip()).collect();
        (!addresses.is_empty()).then_some(addresses)
    }
}

/// The error the guarded resolver answers for a name that leads inside.
#[derive(Debug)]
struct LeadsInside;

impl fmt::Display for LeadsInside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(INSIDE)
    }
}

impl StdError for LeadsInside {}

/// The resolver the HTTP client connects through.
struct Guarded {
    reach: Reach,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach;
        Box::pin(async move {
            let addresses = SystemResolver
                .addresses(name.as_str())
                .await
                .ok_or("the host does not resolve")?;
            if addresses.iter().any(|address| !reach.allows(*address)) {
                return Err(Box::new(LeadsInside) as Box<dyn StdError + Send + Sync>);
            }
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|address| SocketAddr::new(address, 0)),
            );
            Ok(addrs)
        })
    }
}

/// The HTTP client is built at the first delivery, not at init: loading the system's trust
/// store takes longer than the rest of a cold start, and an invocation that only fans events
/// out never needs it.
#[derive(Debug)]
pub struct HttpCourier {
    client: OnceLock<Result<reqwest::Client, String>>,
    reach: Reach,
    timeout: Duration,
}

impl HttpCourier {
    pub fn new(reach: Reach, timeout: Duration) -> Self {
        Self {
            client: OnceLock::new(),
            reach,
            timeout,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, &str> {
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .dns_resolver(Arc::new(Guarded { reach: self.reach }))
                .redirect(Policy::none())
                .no_proxy()
                .timeout(self.timeout)
                .connect_timeout(self.timeout)
                .user_agent("support-tickets-webhooks/1")
                .build()
                .map_err(|err| {
                    tracing::error!(error = %err, "no HTTP client for deliveries");
                    "no HTTP client".to_owned()
                })
        });
        built.as_ref().map_err(String::as_str)
    }

    /// Whether the URL's host is an address the reach does not allow (names are judged when
    /// they resolve).
    fn written_inside(&self, url: &str) -> bool {
        let address = match url::Url::parse(url)
            .ok()
            .and_then(|url| url.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(url::Host::Domain(_)) => return false,
            None => return true,
        };
        !self.reach.allows(address)
    }

    fn reason(&self, err: &reqwest::Error) -> String {
        if err.is_timeout() {
            return format!("no answer within {} s", self.timeout.as_secs());
        }
        let mut source: Option<&(dyn StdError + 'static)> = Some(err);
        while let Some(cause) = source {
            if cause.is::<LeadsInside>() {
                return INSIDE.into();
            }
            source = cause.source();
        }
        if err.is_connect() {
            "could not connect".into()
        } else {
            "the request failed".into()
        }
    }
}

impl Courier for HttpCourier {
    async fn post(&self, request: &Outgoing) -> Answer {
        if self.written_inside(&request.url) {
            return Answer::NoAnswer(INSIDE.into());
        }
        let client = match self.client() {
            Ok(client) => client,
            Err(reason) => return Answer::NoAnswer(reason.to_owned()),
        };
        let mut outgoing = client.post(&request.url).body(request.body.clone());
        for (name, value) in &request.headers {
            outgoing = outgoing.header(*name, value);
        }
        let mut response = match outgoing.send().await {
            Ok(response) => response,
            Err(err) => return Answer::NoAnswer(self.reason(&err)),
        };
        let code = response.status().as_u16();
        if response.status().is_success() {
            return Answer::Status {
                code,
                excerpt: String::new(),
            };
        }
        // The start of the body only: a receiver's page is not the log's to keep.
        let mut start = Vec::new();
        while start.len() < EXCERPT_MAX * 4 {
            match response.chunk().await {
                Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                _ => break,
            }
        }
        Answer::Status {
            code,
            excerpt: excerpt(&start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn addresses_written_in_the_url_are_judged_before_connecting() {
        let courier = HttpCourier::new(Reach::default(), Duration::from_secs(2));
        for url in [
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://[::ffff:192.168.0.1]/",
        ] {
            let request = Outgoing {
                url: url.into(),
                headers: Vec::new(),
                body: "{}".into(),
            };
            assert_eq!(
                courier.post(&request).await,
                Answer::NoAnswer(INSIDE.into()),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn a_name_is_refused_when_it_resolves_inside() {
        let courier = HttpCourier::new(Reach::default(), Duration::from_secs(2));
        let request = Outgoing {
            url: "https://localhost:9/".into(),
            headers: Vec::new(),
            body: "{}".into(),
        };
        assert_eq!(
            courier.post(&request).await,
            Answer::NoAnswer(INSIDE.into())
        );
        let names = SystemResolver.addresses("localhost").await.unwrap();
        assert!(
            names.iter().all(|address| address.is_loopback()),
            "{names:?}"
        );
    }
}
