//! Errors a user meets: port in use, connection refused, bad input.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use std::net::{TcpListener, UdpSocket};

#[test]
fn port_in_use_is_reported_and_the_app_stays_usable() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut h = harness();
    open_local(&mut h, "TCP Server", &port.to_string());
    wait_for_text(&mut h, "The port is already in use");
    wait_for_text(&mut h, "● Closed");
    // Still usable: another port opens.
    set_field(&mut h, "Local port", "0");
    click(&mut h, "Open");
    wait_bound(&mut h, "Bound to:");
}

#[test]
fn udp_port_in_use_is_reported() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut h = harness();
    open_local(&mut h, "UDP", &port.to_string());
    wait_for_text(&mut h, "The port is already in use");
}

#[test]
fn connecting_to_a_closed_port_is_refused_in_words() {
    // Bind then drop to find a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut h = harness();
    open_client(&mut h, port);
    wait_for_text(&mut h, "Connection refused");
    wait_for_text(&mut h, "● Closed");
    // Open again retries, and works once something listens.
    let l = TcpListener::bind(("127.0.0.1", port)).expect("the port is still free");
    click(&mut h, "Open");
    let _conn = accept_within(&mut h, &l);
    wait_for_text(&mut h, "● Connected");
}

#[test]
fn bad_form_input_is_explained_and_nothing_opens() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Server");
    set_field(&mut h, "Local port", "70000");
    click(&mut h, "Open");
    wait_for_text(&mut h, "Port must be a number from 0 to 65535");
    assert!(h.query_by_label_contains("● Closed").is_some());
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Remote host", "no such host!");
    set_field(&mut h, "Remote port", "80");
    click(&mut h, "Open");
    wait_for_text(&mut h, "Not a host name or IP address");
}

#[test]
fn errors_read_in_chinese_in_the_chinese_ui() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let spec = netpal::net::OpenSpec::parse(&format!("tcp-server:127.0.0.1:{port}")).unwrap();
    let mut h = harness_with(netpal::StartOptions {
        lang: Some(netpal::ui::i18n::Lang::Zh),
        open: vec![spec],
    });
    // What failed and while doing what are both in Chinese; only the
    // system's own detail stays as the system wrote it.
    wait_for_text(&mut h, &format!("端口已被占用——监听 127.0.0.1:{port}"));
}
