// Copyright 2023 Singularity Data
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};

const MIN_STRING_LENGTH: usize = 3;

/// How many letters `a..=z` there are.
const LETTERS: u32 = 26;
/// rand 0.8's rejection zone for a range of 26 drawn from a `u32` (`UniformInt<u8>`'s
/// `sample_single_inclusive`: `u32::MAX` less `(u32::MAX - 26 + 1) % 26`).
const LETTER_ZONE: u32 = u32::MAX - (u32::MAX - LETTERS + 1) % LETTERS;

/// One letter `a..=z`, drawn exactly as `rng.gen_range(b'a'..=b'z')` draws it.
#[inline(always)]
fn letter(rng: &mut SmallRng) -> u8 {
    loop {
        let wide = u64::from(rng.next_u32()) * u64::from(LETTERS);
        if wide as u32 <= LETTER_ZONE {
            return b'a' + (wide >> 32) as u8;
        }
    }
}

pub trait NexmarkRng {
    fn gen_string(&mut self, max: usize) -> String;
    fn gen_string_with_delimiter(&mut self, max: usize, delimiter: char) -> String;
    fn gen_exact_string(&mut self, length: usize) -> String;
    fn gen_next_extra(&mut self, current_size: usize, desired_average_size: usize) -> String;
    fn gen_price(&mut self) -> usize;
}

impl NexmarkRng for SmallRng {
    fn gen_string(&mut self, max: usize) -> String {
        self.gen_exact_string(max)
    }

    fn gen_string_with_delimiter(&mut self, max: usize, delimiter: char) -> String {
        let len = self.gen_range(MIN_STRING_LENGTH..max);
        (0..len)
            .map(|_| {
                if self.gen_range(0..13) == 0 {
                    delimiter
                } else {
                    self.gen_range(b'a'..=b'z') as char
                }
            })
            .collect()
    }

    // Changed from the published crate (third_party/README.md): each letter is drawn as
    // `gen_range(b'a'..=b'z')` draws it (rand 0.8's `UniformInt<u8>`: a `u32` from the
    // generator, multiplied by 26, kept when its low half is within the zone, the letter
    // from its high half), with the zone a constant where `gen_range` computes it for every
    // letter, and the letters go into bytes, which an exact-size `collect` writes in place,
    // instead of into a `String` one `char` at a time (a UTF-8 length check and a capacity
    // check per letter). The draws are the same, in the same order.
    fn gen_exact_string(&mut self, length: usize) -> String {
        // The generator's state is copied into a local for the loop, and back after it:
        // the letters' stores could otherwise be its own bytes for all the compiler knows,
        // so it would reload and store the state around every letter.
        let mut rng = self.clone();
        let mut letters = vec![0u8; length];
        for l in &mut letters {
            *l = letter(&mut rng);
        }
        *self = rng;
        // a..=z are ASCII, so the bytes are always UTF-8.
        String::from_utf8(letters).unwrap_or_default()
    }

    fn gen_next_extra(&mut self, current_size: usize, desired_average_size: usize) -> String {
        if current_size > desired_average_size {
            return String::new();
        }
        let desired_average_size = desired_average_size - current_size;
        let delta = (desired_average_size + 2) / 5;
        let min_size = desired_average_size - delta;
        let desired_size = min_size
            + if delta == 0 {
                0
            } else {
                self.gen_range(0..2 * delta)
            };
        self.gen_exact_string(desired_size)
    }

    fn gen_price(&mut self) -> usize {
        (10.0_f32.powf((*self).gen::<f32>() * 6.0) * 100.0).round() as usize
    }
}

pub fn get_base_url(seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let id0 = rng.gen_string_with_delimiter(5, '_');
    let id1 = rng.gen_string_with_delimiter(5, '_');
    let id2 = rng.gen_string_with_delimiter(5, '_');
    format!(
        "https://www.nexmark.com/{}/{}/{}/item.htm?query=1",
        id0, id1, id2
    )
}

lazy_static::lazy_static! {
    pub static ref CHANNEL_URL_MAP: Vec<(String, String)> = build_channel_url_map(CHANNEL_NUMBER);
}

const CHANNEL_NUMBER: usize = 10_000;

fn build_channel_url_map(channel_number: usize) -> Vec<(String, String)> {
    let mut ans = Vec::with_capacity(channel_number);
    for i in 0..channel_number {
        let mut url = get_base_url(i as u64);
        let mut rng = SmallRng::seed_from_u64(i as u64);
        if rng.gen_range(0..10) > 0 {
            url.push_str("&channel_id=");
            url.push_str(&i64::abs((i as i32).reverse_bits() as i64).to_string());
        }
        let channel = format!("channel-{}", i);
        ans.push((channel, url));
    }
    ans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_deterministic() {
        let url1 = get_base_url(0);
        let url2 = get_base_url(0);
        assert_eq!(url1, url2);

        let url3 = get_base_url(1);
        let url4 = get_base_url(1);
        assert_eq!(url3, url4);
        assert_ne!(url3, url1);

        let map0 = build_channel_url_map(100);
        let map1 = build_channel_url_map(100);
        assert_eq!(map0, map1);
    }
}
