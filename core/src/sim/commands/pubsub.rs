//! Pub/sub: SUBSCRIBE & co., PUBLISH, PUBSUB introspection, and keyspace notifications.

use crate::sim::client::Client;
use crate::sim::command::Command;
use crate::sim::state::State;

/// The pub/sub commands.
pub static COMMANDS: &[Command] = &[];

/// Channel and pattern registries.
#[derive(Debug, Default)]
pub struct PubSubState {}

/// Publishes a keyspace event if `notify-keyspace-events` enables its class.
pub fn notify_keyspace_event_state(_st: &mut State, _class: char, _event: &str, _key: &[u8], _db: usize) {}

/// Drops every subscription of a disconnecting client.
pub fn unsubscribe_all(_st: &mut State, _cl: &mut Client) {}
