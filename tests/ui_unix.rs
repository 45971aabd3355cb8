//! Unix domain sockets in the real app: a server on a path talking with a
//! client, shown by path; a stale socket file offered for removal, removed
//! only on the user's click.
#![cfg(unix)]

mod common;

use common::*;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};

#[test]
fn a_unix_server_shows_its_client_by_path_and_answers_it() {
    let p = temp_path("ui-server.sock");
    let _ = std::fs::remove_file(&p);
    let mut h = harness();
    choose(&mut h, "Protocol", "Unix Server");
    set_field(&mut h, "Socket path", &p.display().to_string());
    click(&mut h, "Open");
    wait_for_text(&mut h, &format!("Listening on unix:{}", p.display()));
    let mut c = UnixStream::connect(&p).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_millis(5)))
        .unwrap();
    wait_for_text(&mut h, "Clients (1)");
    c.write_all(b"hello over unix").unwrap();
    wait_for_text(&mut h, "hello over unix");
    wait_for_text(&mut h, &format!("RX ← unix:{}#1", p.display()));
    // The log's peer filter names the client by path too.
    choose(&mut h, "Peer", &format!("unix:{}#1", p.display()));
    wait_for_text(&mut h, "hello over unix");
    set_field(&mut h, "Data to send", "hello back");
    click(&mut h, "Send");
    assert_eq!(read_n(&mut h, &mut c, 10), b"hello back");
    click(&mut h, "Close");
    wait_for(&mut h, "the socket file removed", |_| !p.exists());
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
}

#[test]
fn a_stale_socket_file_is_removed_only_when_the_user_says_so() {
    let p = temp_path("ui-stale.sock");
    let _ = std::fs::remove_file(&p);
    drop(UnixListener::bind(&p).unwrap());
    let mut h = harness();
    choose(&mut h, "Protocol", "Unix Server");
    set_field(&mut h, "Socket path", &p.display().to_string());
    click(&mut h, "Open");
    wait_for_text(&mut h, "left by a program that has ended");
    assert!(p.exists(), "not removed without a word from the user");
    click(&mut h, "Remove the stale socket file and open");
    wait_for_text(&mut h, &format!("Listening on unix:{}", p.display()));
    UnixStream::connect(&p).expect("NetPal serves the path now");
}
