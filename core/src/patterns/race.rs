//! Racing two futures with the standard library alone (no tokio, so it runs on wasm32): the
//! patterns bound their waits this way — a message against a sleep, a job against shutdown.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Which of two futures finished first.
pub(crate) enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

/// Awaits whichever of `a` and `b` finishes first (`a` wins a tie); the other is dropped.
pub(crate) async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(move |cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}
