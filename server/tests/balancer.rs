//! nginx with the deployment config (`deploy/nginx.conf`) in front of two nodes on one
//! PostgreSQL database and one Redis: pages and WebSockets go through it to either node, a
//! player's balance reaches their tabs whichever node holds them, and when a node drains and
//! stops, new connections go to the other one.

mod common;

use common::{dice_bet, TestApp, Ws};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// nginx running `deploy/nginx.conf` with the nodes' addresses, from a temporary directory.
struct Balancer {
    addr: SocketAddr,
    _nginx: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Balancer {
    async fn start(nodes: [SocketAddr; 2]) -> Balancer {
        let dir = tempfile::tempdir().unwrap();
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        let config = render(nodes, addr, dir.path());
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        let nginx = tokio::process::Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            // One process (no workers), so killing it when the test ends leaves nothing behind.
            .args(["-g", "daemon off; master_process off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("nginx.log")).unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx runs (make tools-nginx installs it)");
        let balancer = Balancer {
            addr,
            _nginx: nginx,
            _dir: dir,
        };
        for _ in 0..200 {
            if reqwest::get(balancer.url("/healthz")).await.is_ok() {
                return balancer;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx did not answer");
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn ws(&self, token: &str) -> Ws {
        let url = format!("ws://{}/ws", self.addr);
        Ws::connect(&url, Some(token), None).await.unwrap()
    }
}

fn nginx_binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

/// The deployment config with these nodes, this address and paths in `dir`.
fn render(nodes: [SocketAddr; 2], addr: SocketAddr, dir: &Path) -> String {
    let deployed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf"))
            .unwrap();
    let servers: String = nodes
        .iter()
        .map(|node| format!("server {node} max_fails=1 fail_timeout=5s;\n        "))
        .collect();
    let dir = dir.display();
    deployed
        .lines()
        .filter(|line| !line.contains("# zerolag-node"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("keepalive 64;", &format!("{servers}keepalive 64;"))
        .replace("listen 80; # zerolag-listen", &format!("listen {addr};"))
        .replace("/run/zerolag-nginx.pid", &format!("{dir}/nginx.pid"))
        .replace("/var/lib/nginx/", &format!("{dir}/"))
}

#[tokio::test]
async fn nginx_spreads_pages_and_websockets_over_the_nodes_and_skips_one_that_stopped() {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let a = TestApp::spawn_node(&database, &redis, &prefix).await;
    let b = TestApp::spawn_node(&database, &redis, &prefix).await;
    let balancer = Balancer::start([a.running.addr, b.running.addr]).await;

    // Pages through the balancer, from both nodes (round robin).
    for _ in 0..4 {
        let page = reqwest::get(balancer.url("/")).await.unwrap();
        assert_eq!(page.status(), 200);
    }
    // A player's tabs through the balancer land on both nodes; a bet in one reaches the other.
    let token = a.register("erin").await;
    let mut tab1 = balancer.ws(&token).await;
    let mut tab2 = balancer.ws(&token).await;
    let ack = tab1.call(dice_bet("via-nginx", 1_000, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let pushed = tab2.until(|f| f["type"] == "balance").await;
    assert_eq!(pushed["balance"], ack["result"]["balance"]);

    // Node A drains: its connections are told to reconnect, and every new one (through the
    // balancer) lands on B, also while A still listens.
    let TestApp { running, .. } = a;
    running.start_draining();
    for _ in 0..4 {
        let mut tab = balancer.ws(&token).await;
        let ack = tab
            .call(dice_bet(&format!("k{}", rand_key()), 100, 5_000))
            .await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    running.drain().await;
    for _ in 0..4 {
        let page = reqwest::get(balancer.url("/")).await.unwrap();
        assert_eq!(page.status(), 200);
        balancer.ws(&token).await;
    }
    assert_eq!(b.running.engine.history().ledger_sum().await.unwrap(), 0);
}

fn rand_key() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
