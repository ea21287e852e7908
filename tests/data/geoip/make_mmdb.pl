#!/usr/bin/perl
# tests/data/geoip/make_mmdb.pl - builds the two tiny MaxMind-format databases the tests use
# (test-country.mmdb, test-asn.mmdb) with Debian's libmaxmind-db-writer-perl:
#     apt-get install libmaxmind-db-writer-perl && perl tests/data/geoip/make_mmdb.pl
# The .mmdb files are committed, so the tests and CI never need the writer.
#
# Our own data (no third-party content; same license as the project): loopback addresses of
# the real captures in tests/corpus and the RFC 5737 / RFC 3849 documentation ranges mapped
# to made-up countries (user-assigned ISO codes XA, XB, XC, never real countries) and to the
# RFC 5398 documentation AS numbers.  XA and XB carry coordinates (about 17000 km apart);
# XC has none (the rule then needs a country centroid, which XC does not have).
use strict;
use warnings;
use File::Basename qw(dirname);
use MaxMind::DB::Writer::Tree;

my $dir = dirname(__FILE__);

my %country_net = (
    '127.0.0.5/32'    => ['XA', 48.86, 2.35],
    '127.0.0.6/32'    => ['XB', -33.87, 151.21],
    '127.0.0.7/32'    => ['XA', 48.86, 2.35],
    '192.0.2.0/24'    => ['XA', 48.86, 2.35],
    '198.51.100.0/24' => ['XB', -33.87, 151.21],
    '203.0.113.0/24'  => ['XC', undef, undef],
    '2001:db8::/32'   => ['XB', -33.87, 151.21],
);
my %asn_net = (
    '127.0.0.5/32'    => [64500, 'Example Carrier A'],
    '127.0.0.6/32'    => [64501, 'Example Carrier B'],
    '127.0.0.7/32'    => [64502, 'Example Hosting C'],
    '192.0.2.0/24'    => [64500, 'Example Carrier A'],
    '198.51.100.0/24' => [64501, 'Example Carrier B'],
    '203.0.113.0/24'  => [64502, 'Example Hosting C'],
    '2001:db8::/32'   => [64501, 'Example Carrier B'],
);

sub tree {
    my ($type, $desc, $types) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version               => 6,
        record_size              => 24,
        database_type            => $type,
        languages                => ['en'],
        description              => {en => $desc},
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => 1,
        map_key_type_callback    => sub { $types->{$_[0]} },
    );
}

my $c = tree('mailsleuth-test-Country', 'mailsleuth test data: made-up countries',
    {country => 'map', iso_code => 'utf8_string', location => 'map',
     latitude => 'double', longitude => 'double'});
for my $net (sort keys %country_net) {
    my ($cc, $lat, $lon) = @{$country_net{$net}};
    my %rec = (country => {iso_code => $cc});
    $rec{location} = {latitude => $lat, longitude => $lon} if defined $lat;
    $c->insert_network($net, \%rec);
}
open my $fh, '>:raw', "$dir/test-country.mmdb" or die "$dir/test-country.mmdb: $!";
$c->write_tree($fh);
close $fh;

my $a = tree('mailsleuth-test-ASN', 'mailsleuth test data: documentation AS numbers',
    {autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string'});
for my $net (sort keys %asn_net) {
    my ($n, $org) = @{$asn_net{$net}};
    $a->insert_network($net,
        {autonomous_system_number => $n, autonomous_system_organization => $org});
}
open $fh, '>:raw', "$dir/test-asn.mmdb" or die "$dir/test-asn.mmdb: $!";
$a->write_tree($fh);
close $fh;
print "wrote $dir/test-country.mmdb and $dir/test-asn.mmdb\n";
